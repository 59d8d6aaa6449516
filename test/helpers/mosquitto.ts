import { afterAll, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { freePort } from './net.ts';
import { tempDir } from './relay.ts';
import { findExecutable } from './requires.ts';
import { spawnedServer } from './spawned.ts';

/** mosquitto's path, or null (tests then skip, or fail under CI). */
export const mosquittoBinary = (): string | null => findExecutable('mosquitto', ['/usr/sbin/mosquitto']);

export interface Mosquitto {
  readonly port: number;
  readonly url: string;
  /** Stops the broker abruptly (SIGKILL), keeping the port for `start`. Retained messages are lost, as with no persistence. */
  stop(): Promise<void>;
  start(): Promise<void>;
  kill(): Promise<void>;
  /** With `users`: replaces the password file and makes the running broker reload it (SIGHUP). */
  setUsers(users: Record<string, string>): void;
}

/**
 * A private broker for one test file on a free port (never the machine's own on 1883). With `users`
 * it refuses anonymous clients and checks passwords (a password_file made by mosquitto_passwd).
 */
export async function startMosquitto(binary: string, options: { users?: Record<string, string> } = {}): Promise<Mosquitto> {
  const port = await freePort();
  // With -p and no config file mosquitto 2 listens on loopback only and allows anonymous clients.
  let args = ['-p', String(port)];
  const dir = tempDir('mosquitto-');
  const passwords = join(dir, 'passwd');
  const writeUsers = (users: Record<string, string>) => {
    writeFileSync(passwords, '');
    for (const [user, password] of Object.entries(users)) {
      execFileSync(join(dirname(binary).replace(/sbin$/, 'bin'), 'mosquitto_passwd'), ['-b', passwords, user, password]);
    }
  };
  if (options.users) {
    writeUsers(options.users);
    writeFileSync(join(dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${passwords}\n`);
    // Started as root, mosquitto drops to its own user, which must still read the files.
    chmodSync(dir, 0o755);
    chmodSync(passwords, 0o644);
    args = ['-c', join(dir, 'mosquitto.conf')];
  }
  const server = spawnedServer(binary, args, port, 'mosquitto');
  await server.start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    stop: server.stop,
    start: server.start,
    kill: server.stop,
    setUsers(users) {
      writeUsers(users);
      chmodSync(passwords, 0o644);
      server.signal('SIGHUP');
    },
  };
}

/** An MQTT client for a fake device; reconnects on its own like real firmware, resolves once connected. */
export async function connectClient(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 300, ...options });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

/** Every message seen on `filter` by a watching client (for "never retained" and topic checks). */
export async function watchTopics(url: string, filter: string): Promise<{ messages: { topic: string; payload: string; retain: boolean }[]; close(): Promise<void> }> {
  const client = await connectClient(url);
  const messages: { topic: string; payload: string; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), retain: packet.retain }));
  await client.subscribeAsync(filter);
  return { messages, close: () => client.endAsync(true) };
}

/** One broker for the enclosing describe (started before its tests, killed after); read it through the getter. */
export function useMosquitto(binary: string): () => Mosquitto {
  let broker: Mosquitto | undefined;
  beforeAll(async () => {
    broker = await startMosquitto(binary);
  });
  afterAll(async () => {
    await broker?.kill();
  });
  return () => {
    if (!broker) throw new Error('useMosquitto: no broker outside a test');
    return broker;
  };
}
