import { interleave } from '../lib/interleave.ts';
import { runLoadWithCpu } from '../lib/load.ts';
import { findBinary, spawnOnFreePort } from '../lib/spawned-port.ts';
import { cpuUsPerOp, pool, type SequentialSample } from '../lib/stats.ts';
import type { CommandParams } from '../load/commands.ts';
import type { MqttCommandParams } from '../load/mqtt-commands.ts';
import { row, skipped } from '../report/types.ts';
import type { Scenario } from './types.ts';

/**
 * REST command → MQTT publish → state echo → 200, against the same relay's socket-device round
 * trip, interleaved as `commands` is. Issue 13's target: the MQTT p50 within 1 ms of the socket one.
 * Here "relay" is the MQTT device and "baseline" the socket device.
 */
export const mqttCommands: Scenario = {
  name: 'mqtt-commands',
  title: 'MQTT device command round trip vs socket device, sequential (REST → broker → echo → 200)',
  async run({ quick, features }) {
    if (!features.devices) return skipped('the devices feature is not on this branch yet');
    const binary = findBinary('mosquitto');
    if (!binary) return skipped('mosquitto is not installed (apt-get install mosquitto)');
    const broker = await spawnOnFreePort(binary, (port) => ['-p', String(port)], 'mosquitto');
    const brokerUrl = `mqtt://127.0.0.1:${broker.port}`;
    try {
      const rounds = quick ? 2 : 4;
      const window = { warmupMs: 500, durationMs: (quick ? 2000 : 8000) / rounds };
      const results = await interleave(
        [
          { label: 'mqtt', kind: 'relay', env: { MQTT_URL: brokerUrl, MQTT_DRIVERS: 'zigbee2mqtt' } },
          { label: 'socket', kind: 'relay' },
        ],
        rounds,
        (server, contender) =>
          contender.label === 'mqtt'
            ? runLoadWithCpu<SequentialSample>(server, 'mqtt-commands', { target: server.target, brokerUrl, ...window } satisfies MqttCommandParams)
            : runLoadWithCpu<SequentialSample>(server, 'commands', { target: server.target, ...window } satisfies CommandParams),
      );
      const mqttRounds = results.get('mqtt') ?? [];
      const socketRounds = results.get('socket') ?? [];
      const viaMqtt = pool(mqttRounds);
      const viaSocket = pool(socketRounds);
      const gap = viaMqtt.p50 - viaSocket.p50;
      return {
        status: 'ok',
        rows: [
          row('p50 (mqtt / socket device)', 'ms', viaMqtt.p50, viaSocket.p50),
          row('p99', 'ms', viaMqtt.p99, viaSocket.p99),
          row('commands/s', '/s', viaMqtt.throughput, viaSocket.throughput),
          row('server CPU per command', 'µs', cpuUsPerOp(mqttRounds), cpuUsPerOp(socketRounds)),
        ],
        notes: [
          `p50 gap ${gap.toFixed(3)} ms (target: within 1 ms) — ${Math.abs(gap) <= 1 ? 'met' : 'not met'}.`,
          `${viaMqtt.count} / ${viaSocket.count} commands (mqtt / socket), in ${rounds} interleaved rounds; "baseline" column = socket device on the same relay.`,
        ],
      };
    } finally {
      await broker.stop();
    }
  },
};
