import { systemClock } from '../../src/clock.ts';
import { HomeService } from '../../src/homes/service.ts';
import { openStore } from '../../src/store/index.ts';
import type { BenchHome } from '../load/idle-paced.ts';

/**
 * Creates `count` homes in a SQLite store in `dataDir` before the relay opens it, the way
 * `relay homes add` does (one HomeService.add each), and returns their one-time hub keys.
 */
export async function createHomes(dataDir: string, count: number, prefix = 'bench-h'): Promise<BenchHome[]> {
  const store = await openStore({ store: 'sqlite', dataDir, redisUrl: undefined, redisKeyPrefix: 'relay:' }, systemClock);
  try {
    const homes = new HomeService({ store, clock: systemClock });
    const made: BenchHome[] = [];
    for (let i = 0; i < count; i++) {
      const serial = `${prefix}${i}`;
      made.push({ serial, hubKey: await homes.add(serial) });
    }
    return made;
  } finally {
    await store.close();
  }
}
