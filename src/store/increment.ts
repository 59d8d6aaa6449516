import type { KeyValueStore } from './types.ts';

/** `incr` built on `update`, for stores whose `update` is already atomic. */
export function incrementWith(store: Pick<KeyValueStore, 'update'>, key: string, expiresAt: number): Promise<number> {
  return store.update<number, number>(key, (current) => {
    const next = (current ?? 0) + 1;
    return current === null ? { next, expiresAt, result: next } : { next, result: next };
  });
}
