import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { command, eventually } from './helpers/devices.ts';
import { type MainProcess, startMain, stopAll } from './helpers/main-process.ts';
import { mosquittoBinary, type Mosquitto, startMosquitto } from './helpers/mosquitto.ts';
import { waitForDevice } from './helpers/mqtt/bridged.ts';
import { type FakeZ2m, startFakeZ2m, z2mExposes } from './helpers/mqtt/zigbee2mqtt.ts';
import { type RedisServer, redisServerBinary, startRedisServer } from './helpers/redis.ts';
import { closeSockets, HUB_KEY, JWT_SECRET, pair } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

const bridgeState = async (instance: MainProcess): Promise<string | undefined> => {
  const text = await (await fetch(`${instance.url}/metrics`)).text();
  return /relay_mqtt_bridge_state\{serial="home-1",state="(\w+)"\} 1/.exec(text)?.[1];
};

describeWith('MQTT bridge across instances', redisServerBinary(), 'redis-server', (redisBinary) => {
  describeWith('with a broker', mosquittoBinary(), 'mosquitto', (mosquitto) => {
    let redis: RedisServer;
    let broker: Mosquitto;
    let z2m: FakeZ2m;
    const processes: MainProcess[] = [];

    beforeAll(async () => {
      redis = await startRedisServer(redisBinary);
      broker = await startMosquitto(mosquitto);
      z2m = await startFakeZ2m(broker.url, [{ friendly: 'porch_light', exposes: z2mExposes.light, state: { state: 'OFF', brightness: 100 } }]);
    });
    afterAll(async () => {
      await z2m?.close();
      await broker?.kill();
      await redis?.kill();
    });
    afterEach(async () => {
      closeSockets();
      await stopAll(processes.splice(0));
    });

    it('runs the bridge on exactly one instance, forwards commands to it, and another takes over within 10 s of a SIGKILL', async () => {
      const env = { REDIS_URL: redis.url, JWT_SECRET, HUB_KEY, MQTT_URL: broker.url, MQTT_DRIVERS: 'zigbee2mqtt', DEVICE_COMMAND_TIMEOUT: '3s' };
      const first = await startMain(env);
      const second = await startMain(env);
      processes.push(first, second);
      const { token } = await pair(first);
      await waitForDevice(first, token, 'zigbee2mqtt:porch_light', (d) => d.online && d.state.brightness !== undefined, 20_000);

      // Exactly one holds the lease and talks to the broker; the other stands by.
      let states: (string | undefined)[] = [];
      await eventually(async () => {
        states = [await bridgeState(first), await bridgeState(second)];
        return states.includes('connected') && states.includes('standby');
      }, 10_000);
      const [holder, standby] = states[0] === 'connected' ? [first, second] : [second, first];

      // A command through the standby instance is carried to the holder and answered with the new state.
      const before = z2m.sets.length;
      const viaStandby = await command(standby, token, 'zigbee2mqtt:porch_light', { action: 'turn_on' });
      expect(viaStandby.status).toBe(200);
      expect(viaStandby.body.device.state.on).toBe(true);
      const viaHolder = await command(holder, token, 'zigbee2mqtt:porch_light', { action: 'turn_off' });
      expect(viaHolder.body.device.state.on).toBe(false);
      // One /set per command: never two bridges publishing.
      expect(z2m.sets.length - before).toBe(2);

      const killedAt = Date.now();
      holder.child.kill('SIGKILL');
      await eventually(async () => (await bridgeState(standby).catch(() => undefined)) === 'connected', 15_000);
      let answered: Awaited<ReturnType<typeof command>> | undefined;
      await eventually(async () => {
        answered = await command(standby, token, 'zigbee2mqtt:porch_light', { action: 'turn_on' });
        return answered.status === 200;
      }, 15_000);
      const tookOver = Date.now() - killedAt;
      expect(tookOver).toBeLessThan(10_000);
      expect(answered!.body.device).toMatchObject({ online: true, state: { on: true } });
      console.log(`mqtt bridge takeover after SIGKILL: ${tookOver} ms`);
    }, 90_000);
  });
});
