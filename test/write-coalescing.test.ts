import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { coalesceWrites } from '../src/realtime/write-coalescing.ts';

interface RawSocket {
  _write(...args: unknown[]): void;
  _writev?(...args: unknown[]): void;
}

/** Counts the writes the kernel is asked for on the server side of one WebSocket connection. */
function countWrites(socket: ServerSocket): () => number {
  const raw = (socket.conn as unknown as { transport: { socket: { _socket: RawSocket } } }).transport.socket._socket;
  let writes = 0;
  const write = raw._write.bind(raw);
  raw._write = (...args) => {
    writes++;
    write(...args);
  };
  const writev = raw._writev?.bind(raw);
  if (writev) {
    raw._writev = (...args) => {
      writes++;
      writev(...args);
    };
  }
  return () => writes;
}

describe('coalesced socket writes', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  async function start(coalesce: boolean, transports: ('websocket' | 'polling')[] = ['websocket']) {
    const http = createServer();
    const io = new Server(http);
    if (coalesce) coalesceWrites(io);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const serverSide = new Promise<ServerSocket>((resolve) => io.once('connection', resolve));
    const client: Socket = connect(url, { transports, forceNew: true });
    closers.push(() => {
      client.close();
      void io.close();
    });
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    return { io, client, socket: await serverSide };
  }

  const received = (client: Socket, count: number) =>
    new Promise<string[]>((resolve) => {
      const seen: string[] = [];
      client.onAny((event: string, payload: { n: number }) => {
        seen.push(`${event}:${payload.n}`);
        if (seen.length === count) resolve(seen);
      });
    });

  it('sends the events of one tick to a socket in one write, in order, each still its own event', async () => {
    const { client, socket } = await start(true);
    const writes = countWrites(socket);
    const arrived = received(client, 4);
    socket.emit('a', { n: 1 });
    socket.emit('b', { n: 2 });
    await Promise.resolve(); // a promise continuation of the same turn joins the same write
    socket.emit('c', { n: 3 });
    socket.emit('a', { n: 4 });
    expect(await arrived).toEqual(['a:1', 'b:2', 'c:3', 'a:4']);
    expect(writes()).toBe(1);
  });

  it('without it, engine.io writes once per event (what the test above would see)', async () => {
    const { client, socket } = await start(false);
    const writes = countWrites(socket);
    const arrived = received(client, 3);
    for (const n of [1, 2, 3]) socket.emit('a', { n });
    await arrived;
    expect(writes()).toBe(3);
  });

  it('keeps events of later ticks flowing, and acknowledgements', async () => {
    const { client, socket } = await start(true);
    const arrived = received(client, 2);
    socket.emit('a', { n: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    socket.emit('a', { n: 2 });
    expect(await arrived).toEqual(['a:1', 'a:2']);
    client.on('ask', (_payload: unknown, ack: (reply: string) => void) => ack('pong'));
    expect(await socket.timeout(5000).emitWithAck('ask', {})).toBe('pong');
  });

  it('delivers what was emitted just before a server-side disconnect', async () => {
    const { client, socket } = await start(true);
    const arrived = received(client, 1);
    const gone = new Promise<string>((resolve) => client.once('disconnect', resolve));
    socket.emit('bye', { n: 1 });
    socket.disconnect(true);
    expect(await arrived).toEqual(['bye:1']);
    expect(await gone).toBe('io server disconnect');
  });

  it('works over long-polling too (no raw socket to cork)', async () => {
    const { client, socket } = await start(true, ['polling']);
    const arrived = received(client, 2);
    socket.emit('a', { n: 1 });
    socket.emit('b', { n: 2 });
    expect(await arrived).toEqual(['a:1', 'b:2']);
  });
});
