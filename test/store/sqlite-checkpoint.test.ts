import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { GrantRecord } from '../../src/store/types.ts';
import { tempDir } from '../helpers/relay.ts';

const grant = (i: number, burst: number): GrantRecord => ({
  id: `g-${burst}-${i}`.padEnd(22, 'x'),
  serial: 'home-1',
  clientName: `client ${i}`,
  method: 'code',
  createdAt: new Date(1_700_000_000_000 + i).toISOString(),
  lastUsedAt: new Date(1_700_000_000_000 + i).toISOString(),
  ip: '127.0.0.1',
  revokedAt: null,
});

async function writeBurst(store: SqliteStore, burst: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const g = grant(i, burst);
    await store.createGrant(g, { hash: `${burst}-${i}`.padEnd(64, '0'), grantId: g.id, expiresAt: Date.now() + 60_000, usedAt: null });
  }
}

const walBytes = (file: string) => statSync(`${file}-wal`).size;

/**
 * Checkpoints run in a worker thread, not inside a commit on the event loop. Two bursts well
 * under SQLite's 1000-page auto-checkpoint threshold, with a pause between: when the worker has
 * folded the first burst back, the second reuses the WAL from its start and the file does not
 * grow; a store checkpointing only on the writer (or not at all) ends with a WAL twice as long.
 */
describe('SQLite WAL checkpoints off the event loop', () => {
  const run = async (checkpointInWorker: boolean) => {
    const file = join(tempDir('relay-ckpt-'), 'relay.sqlite');
    const store = new SqliteStore(file, new FakeClock(Date.now()), { checkpointInWorker });
    await writeBurst(store, 1);
    const afterFirst = walBytes(file);
    await new Promise((r) => setTimeout(r, 1500));
    await writeBurst(store, 2);
    const afterSecond = walBytes(file);
    const grants = await store.listGrants('home-1');
    await store.close();
    return { afterFirst, afterSecond, grants: grants.length };
  };

  it('folds the WAL back in the background, so it is reused instead of growing', async () => {
    const inWorker = await run(true);
    expect(inWorker.grants).toBe(100);
    expect(inWorker.afterSecond).toBeLessThan(inWorker.afterFirst * 1.3);
  });

  it('(the control: without the worker the same writes leave a WAL about twice as long)', async () => {
    const onWriter = await run(false);
    expect(onWriter.afterSecond).toBeGreaterThan(onWriter.afterFirst * 1.7);
  });
});
