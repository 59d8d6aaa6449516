import { commands } from './commands.ts';
import { fanout } from './fanout.ts';
import { idle100k } from './idle-100k.ts';
import { idleSockets } from './idle-sockets.ts';
import { mqttCommands } from './mqtt-commands.ts';
import { multiInstance } from './multi-instance.ts';
import { pairing } from './pairing.ts';
import { readThroughput } from './read-throughput.ts';
import { sse } from './sse.ts';
import type { Scenario } from './types.ts';

/** In the order; `--only <name>` picks by `name`. */
export const scenarios: Scenario[] = [pairing, commands, mqttCommands, readThroughput, idleSockets, idle100k, fanout, sse, multiInstance];
