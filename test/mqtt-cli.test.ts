import { afterEach, expect, it } from 'vitest';
import { lastLine, relayCli } from './helpers/cli.ts';
import { command, eventually } from './helpers/devices.ts';
import { mosquittoBinary, startMosquitto, useMosquitto } from './helpers/mosquitto.ts';
import { listDevices, waitForDevice } from './helpers/mqtt/bridged.ts';
import { type FakeTasmota, startFakeTasmota } from './helpers/mqtt/tasmota.ts';
import { closeSockets, logSink, pair, startRelay, tempDir, type TestRelay } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

const SECRET = 'broker-secret-do-not-log-7f3a';

describeWith('relay bridges add|list|remove', mosquittoBinary(), 'mosquitto', (binary) => {
  const broker = useMosquitto(binary);
  let relay: TestRelay | undefined;
  let plug: FakeTasmota | undefined;
  afterEach(async () => {
    closeSockets();
    await relay?.close();
    await plug?.close();
  });

  it('bridges another home from the CLI while the relay runs, never shows the password, and removes it again', async () => {
    const dataDir = tempDir();
    const cliEnv = { STORE: 'sqlite', DATA_DIR: dataDir };
    const logs = logSink();
    relay = await startRelay({ env: { ...cliEnv, LOG_LEVEL: 'debug' }, logTo: logs.stream });
    const added = await relayCli(['homes', 'add', 'flat-2'], cliEnv);
    expect(added.status).toBe(0);
    const hubKey = lastLine(added.stdout);
    plug = await startFakeTasmota(broker().url, { topic: 'flat_plug', name: 'Flat plug', mac: 'CC0000000001' });

    // Arguments are checked before anything is stored.
    expect((await relayCli(['bridges', 'add', 'flat-2', 'http://x'], cliEnv)).status).toBe(64);
    expect((await relayCli(['bridges', 'add', 'flat-2', broker().url, '--drivers', 'zwave'], cliEnv)).stderr).toContain('Unknown driver');
    expect((await relayCli(['bridges', 'add', 'flat-2', broker().url, '--password', SECRET], cliEnv)).stderr).toContain('MQTT_PASSWORD');
    expect((await relayCli(['bridges', 'add', 'nowhere', broker().url], cliEnv)).status).toBe(1);

    // mosquitto -p allows anonymous clients, so the credentials are sent and ignored: what matters is where they show.
    const bridged = await relayCli(['bridges', 'add', 'flat-2', broker().url, '--drivers', 'tasmota', '--username', 'relay'], { ...cliEnv, MQTT_PASSWORD: SECRET });
    expect(bridged.status).toBe(0);
    expect(bridged.stdout).toContain('with a password');
    const listed = await relayCli(['bridges', 'list'], cliEnv);
    expect(listed.stdout).toContain(`flat-2\t${broker().url}\tdrivers tasmota user relay\tpassword set`);

    const { token } = await pair(relay, { serial: 'flat-2', hubKey });
    expect(await waitForDevice(relay, token, 'tasmota:flat_plug', (d) => d.online, 10_000)).toMatchObject({ name: 'Flat plug', source: 'mqtt' });
    expect((await command(relay, token, 'tasmota:flat_plug', { action: 'turn_on' })).body.device.state.on).toBe(true);
    // The default home has no bridge: its list stays empty.
    expect(await listDevices(relay, (await pair(relay)).token)).toEqual([]);

    const removed = await relayCli(['bridges', 'remove', 'flat-2'], cliEnv);
    expect(removed.status).toBe(0);
    await waitForDevice(relay, token, 'tasmota:flat_plug', (d) => !d.online, 10_000);
    expect((await relayCli(['bridges', 'list'], cliEnv)).stdout).toContain('(no bridges)');
    expect([listed.stdout, listed.stderr, bridged.stdout, logs.text()].some((text) => text.includes(SECRET))).toBe(false);
    expect(logs.text()).toContain('mqtt bridge starting');
  }, 60_000);
});

describeWith('MQTT bridge credentials on a broker that checks them', mosquittoBinary(), 'mosquitto', (binary) => {
  let relay: TestRelay | undefined;
  afterEach(async () => {
    closeSockets();
    await relay?.close();
  });

  it('logs in with MQTT_USERNAME / MQTT_PASSWORD; a wrong password keeps the bridge down, out of the logs, and retrying', async () => {
    const broker = await startMosquitto(binary, { users: { relay: SECRET, plug: 'plug-secret-1' } });
    try {
      const plug = await startFakeTasmota(broker.url, { topic: 'auth_plug', mac: 'DD0000000001', login: { username: 'plug', password: 'plug-secret-1' } });
      // The relay's password is not (yet) the broker's.
      const wrong = 'other-secret-also-never-logged';
      const logs = logSink();
      relay = await startRelay({ env: { MQTT_URL: broker.url, MQTT_DRIVERS: 'tasmota', MQTT_USERNAME: 'relay', MQTT_PASSWORD: wrong, LOG_LEVEL: 'debug' }, logTo: logs.stream });
      const { token } = await pair(relay);
      await eventually(async () => /relay_mqtt_bridge_state\{serial="home-1",state="(disconnected|connecting)"\} 1/.test(await (await fetch(`${relay!.url}/metrics`)).text()), 10_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await listDevices(relay, token)).toEqual([]);
      // The broker's operator sets the password the relay has: the bridge gets in on its next retry, no restart.
      broker.setUsers({ relay: wrong, plug: 'plug-secret-1' });
      expect(await waitForDevice(relay, token, 'tasmota:auth_plug', (d) => d.online, 15_000)).toMatchObject({ source: 'mqtt' });
      expect(logs.text()).not.toContain(wrong);
      expect(logs.text()).not.toContain(SECRET);
      await plug.close();
    } finally {
      await broker.kill();
    }
  }, 60_000);
});
