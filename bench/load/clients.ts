import { commandClient } from './commands.ts';
import { fanoutClient } from './fanout.ts';
import { idlePacedClient } from './idle-paced.ts';
import { idleSocketsClient } from './idle-sockets.ts';
import { mqttCommandClient } from './mqtt-commands.ts';
import { pairingClient } from './pairing.ts';
import type { LoadClient } from './protocol.ts';
import { sseClient } from './sse.ts';
import { throughputClient } from './throughput.ts';

/** Every load client a child process can run, by the name the orchestrator sends. */
export const clients: Record<string, LoadClient> = {
  pairing: pairingClient,
  commands: commandClient,
  'mqtt-commands': mqttCommandClient,
  throughput: throughputClient,
  'idle-sockets': idleSocketsClient,
  'idle-paced': idlePacedClient,
  fanout: fanoutClient,
  sse: sseClient,
};
