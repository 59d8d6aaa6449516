import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import type { TokenResponse } from '../src/tokens/service.ts';
import { connectKiosk, getJson, nextEvent, pair, postJson, startRelay, type TestRelay } from './helpers/relay.ts';
import { recordSqlite } from './helpers/sqlite-statements.ts';

/** The seed-style flow: no serial anywhere, the relay's only home is meant. */
async function pairWithoutSerial(url: string, kiosk: Socket): Promise<TokenResponse> {
  const codeArrives = nextEvent<{ code: string }>(kiosk, 'pairing:code');
  expect((await postJson(`${url}/api/v1/pairing/code`, {})).status).toBe(202);
  const claimed = await postJson(`${url}/api/v1/pairing/claim`, { code: (await codeArrives).code });
  expect(claimed.status).toBe(201);
  return claimed.body as TokenResponse;
}

/**
 * What one pairing costs the SQLite store, counted statement by statement through a wrapped
 * better-sqlite3, so a change that adds a commit, a statement or a prepare on the hot path fails
 * here rather than showing up later as a slower benchmark.
 */
describe('SQLite work per pairing round trip', () => {
  const recorder = recordSqlite();
  let relay: TestRelay;
  beforeAll(async () => {
    // Rate limits stay on (their windows must not reach the disk either), high enough for the rounds;
    // the per-home code request limit too.
    relay = await startRelay({ env: { STORE: 'sqlite', RATE_LIMIT_CODE_PER_MINUTE: '1000', RATE_LIMIT_CLAIM_PER_MINUTE: '1000', PAIRING_CODE_REQUESTS: '1000/1m' } });
  });
  afterAll(async () => {
    await relay?.close();
    recorder.stop();
  });

  const measure = async (rounds: number, serial?: string) => {
    const kiosk = await connectKiosk(relay);
    const once = () => (serial ? pair(relay, { kiosk, serial }) : pairWithoutSerial(relay.url, kiosk));
    await once(); // warm: one-off preparations are not per pairing
    await new Promise((resolve) => setTimeout(resolve, 100)); // and its audit entry is written
    recorder.reset();
    const tokens = [];
    for (let i = 0; i < rounds; i++) tokens.push(await once());
    await new Promise((resolve) => setTimeout(resolve, 100)); // the audit log's group commit (10 ms after an entry) lands
    // The home watch's once-a-second `PRAGMA data_version` poll runs beside the pairings, not for them.
    const executed = recorder.log.executed.filter((sql) => !/^PRAGMA data_version/i.test(sql));
    const log = { ...recorder.log, executed, prepared: [...recorder.log.prepared], adHoc: [...recorder.log.adHoc] };
    kiosk.close();
    return { log, tokens };
  };

  it('is one durable commit, a handful of prepared statements and nothing compiled on the way', async () => {
    const rounds = 5;
    const { log, tokens } = await measure(rounds, 'home-1');
    expect(tokens).toHaveLength(rounds);
    // The grant and its first refresh token, together; the code itself never reaches the disk.
    expect(log.commits / rounds).toBe(1);
    // The audit entry of each pairing is written after its response, at most one group commit each.
    expect(log.auditCommits).toBeGreaterThan(0);
    expect(log.auditCommits).toBeLessThanOrEqual(rounds);
    expect(log.prepared).toEqual([]);
    expect(log.adHoc).toEqual([]);
    // Today: the home and the pairing lock read once per request, then BEGIN, grant, refresh token, COMMIT.
    const perPairing = log.executed.length / rounds;
    expect(perPairing, `per pairing:\n  ${log.executed.slice(0, perPairing).join('\n  ')}`).toBeLessThanOrEqual(8);
  });

  it('costs the same without a serial (the seed flow), however many homes there are', async () => {
    const rounds = 5;
    const { log } = await measure(rounds);
    expect(log.commits / rounds).toBe(1);
    expect(log.prepared).toEqual([]);
    expect(log.executed.length / rounds, `executed:\n  ${log.executed.join("\n  ")}`).toBeLessThanOrEqual(8);
    // "Is there exactly one home?" reads at most two rows, never the whole table.
    expect(log.executed.filter((sql) => /FROM homes/.test(sql) && !/LIMIT|WHERE serial/.test(sql))).toEqual([]);
  });

  it('tokens it minted work (the counting wrapper changes nothing)', async () => {
    const kiosk = await connectKiosk(relay);
    const tokens = await pair(relay, { kiosk });
    kiosk.close();
    expect((await getJson(`${relay.url}/api/v1/me`, tokens.token)).status).toBe(200);
  });
});
