import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/types.ts';
import { FakeClock } from '../../src/clock.ts';
import { relayCli } from '../helpers/cli.ts';
import { useClusters } from '../helpers/cluster.ts';
import { command, connectDevice, eventually } from '../helpers/devices.ts';
import { redisServerBinary } from '../helpers/redis.ts';
import {
  closeSockets,
  connectDashboard,
  connectKiosk,
  emitAck,
  getJson,
  HUB_KEY,
  JWT_SECRET,
  nextEvent,
  pair,
  startRelay,
  type TestRelay,
  tempDir,
  useRelay,
} from '../helpers/relay.ts';
import { describeWith } from '../helpers/requires.ts';

const auditOf = async (relay: Pick<TestRelay, 'url'>, token: string, query = '') => getJson(`${relay.url}/api/v1/audit${query}`, token);

const commands = (entries: AuditEntry[]) => entries.filter((e) => e.event === 'device.command');

describe('audit log on one relay (memory store)', () => {
  const relay = useRelay();

  it('records commands from REST, dashboard sockets and kiosks with who, outcome and latency; kiosks see entries live', async () => {
    const kiosk = await connectKiosk(relay());
    const live: AuditEntry[] = [];
    kiosk.on('audit:entry', (entry: AuditEntry) => live.push(entry));
    const { token, grantId } = await pair(relay(), { kiosk, clientName: 'Anna’s phone' });
    await connectDevice(relay(), { deviceId: 'front-door', name: 'Front door', type: 'lock', actions: ['lock', 'unlock'] });
    await connectDevice(relay(), {
      deviceId: 'stubborn',
      actions: ['turn_on'],
      onCommand: () => ({ ok: false, error: { code: 'jammed', message: 'jammed' } }),
    });

    expect((await command(relay(), token, 'front-door', { action: 'unlock' })).status).toBe(200);
    const dashboard = await connectDashboard(relay(), token);
    expect(await emitAck(dashboard, 'device:command', { deviceId: 'front-door', action: 'lock' })).toMatchObject({ ok: true });
    expect(await emitAck(kiosk, 'device:command', { deviceId: 'front-door', action: 'unlock' })).toMatchObject({ ok: true });
    expect((await command(relay(), token, 'stubborn', { action: 'turn_on' })).status).toBe(422);
    expect((await command(relay(), token, 'nowhere', { action: 'turn_on' })).status).toBe(404);

    const { status, body } = await auditOf(relay(), token);
    expect(status).toBe(200);
    const anna = { kind: 'grant', grantId, clientName: 'Anna’s phone' };
    expect(body.entries[0]).toMatchObject({ seq: 1, event: 'pairing.claimed', actor: anna, outcome: 'ok' });
    expect(commands(body.entries)).toMatchObject([
      { actor: anna, channel: 'rest', target: 'front-door', action: 'unlock', outcome: 'ok' },
      { actor: anna, channel: 'socket', target: 'front-door', action: 'lock', outcome: 'ok' },
      { actor: { kind: 'kiosk' }, channel: 'kiosk', target: 'front-door', action: 'unlock', outcome: 'ok' },
      { actor: anna, target: 'stubborn', outcome: 'rejected' },
      { actor: anna, target: 'nowhere', outcome: 'not_found' },
    ]);
    for (const entry of commands(body.entries)) expect(entry.latencyMs).toBeGreaterThanOrEqual(0);
    expect(body.next).toBeNull();
    await eventually(() => live.length === body.entries.length);
    expect(live).toEqual(body.entries);

    const listed = await emitAck(kiosk, 'audit:list', { after: 2, limit: 2 });
    expect(listed).toMatchObject({ ok: true, data: { next: 4 } });
    expect(listed.data.entries.map((e: AuditEntry) => e.seq)).toEqual([3, 4]);
    const newest = await emitAck(kiosk, 'audit:list', { last: 2 });
    expect(newest.data.entries.map((e: AuditEntry) => e.seq)).toEqual([body.entries.length - 1, body.entries.length]);
  });

  it('pages with after/limit, refuses bad queries and anonymous callers', async () => {
    const kiosk = await connectKiosk(relay());
    const { token } = await pair(relay(), { kiosk });
    await connectDevice(relay());
    for (let i = 0; i < 5; i++) await command(relay(), token, 'lamp-1', { action: i % 2 ? 'turn_on' : 'turn_off' });
    const first = await auditOf(relay(), token, '?limit=2');
    expect(first.body.entries.map((e: AuditEntry) => e.seq)).toEqual([1, 2]);
    expect(first.body.next).toBe(2);
    const rest = await auditOf(relay(), token, `?after=${first.body.next}&limit=500`);
    expect(rest.body.entries.map((e: AuditEntry) => e.seq)).toEqual([3, 4, 5, 6]);
    expect(rest.body.next).toBeNull();
    for (const query of ['?limit=501', '?limit=0', '?after=-1', '?after=x', '?other=1']) {
      expect((await auditOf(relay(), token, query)).body.error.code, query).toBe('invalid_request');
    }
    expect((await getJson(`${relay().url}/api/v1/audit`)).status).toBe(401);
  });

  it('records revocations and device enrolment, and never a code, token or key', async () => {
    const kiosk = await connectKiosk(relay());
    const codes: string[] = [];
    kiosk.on('pairing:code', (p: { code: string }) => codes.push(p.code));
    const owner = await pair(relay(), { kiosk });
    const other = await pair(relay(), { kiosk, clientName: 'Old tablet' });
    const enrolled = await emitAck(kiosk, 'device:enroll', { deviceId: 'front-door' });
    expect((await fetch(`${relay().url}/api/v1/grants/${other.grantId}`, { method: 'DELETE', headers: { authorization: `Bearer ${owner.token}` } })).status).toBe(204);
    const { body } = await auditOf(relay(), owner.token);
    expect(body.entries.map((e: AuditEntry) => e.event)).toEqual(['pairing.claimed', 'pairing.claimed', 'device.enrolled', 'grant.revoked']);
    expect(body.entries[3]).toMatchObject({ actor: { grantId: owner.grantId }, target: other.grantId });
    const text = JSON.stringify(body);
    for (const secret of [...codes, owner.token, owner.refreshToken, other.token, other.refreshToken, enrolled.data.deviceKey, HUB_KEY]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('relay audit verify on SQLite', () => {
  let relay: TestRelay | undefined;
  afterEach(async () => {
    closeSockets();
    await relay?.close();
  });

  it('passes on an intact log and exits 1 naming the first entry when a row was edited', async () => {
    const dataDir = tempDir();
    const env = { STORE: 'sqlite', DATA_DIR: dataDir, HUB_KEY, JWT_SECRET };
    relay = await startRelay({ env });
    const { token } = await pair(relay);
    await connectDevice(relay);
    for (const action of ['turn_on', 'turn_off', 'turn_on']) await command(relay, token, 'lamp-1', { action });
    await relay.server.services.audit.settled();
    closeSockets();
    await relay.close();
    relay = undefined;

    const intact = await relayCli(['audit', 'verify', 'home-1'], env);
    expect(intact.stdout).toContain('intact: 4 entries');
    expect(intact.status).toBe(0);

    // Someone with the database file turns a command's outcome around.
    const db = new Database(join(dataDir, 'relay.sqlite'));
    db.prepare(`UPDATE audit_log SET entry = json_set(entry, '$.outcome', 'denied') WHERE serial = 'home-1' AND seq = 3`).run();
    db.close();
    const broken = await relayCli(['audit', 'verify', 'home-1'], env);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('BROKEN at entry 3');

    // Deleting the row instead is caught at the entry after the gap.
    const db2 = new Database(join(dataDir, 'relay.sqlite'));
    db2.prepare(`DELETE FROM audit_log WHERE serial = 'home-1' AND seq = 3`).run();
    db2.close();
    const deleted = await relayCli(['audit', 'verify', 'home-1'], env);
    expect(deleted.status).toBe(1);
    expect(deleted.stderr).toContain('BROKEN at entry 4');
  });

  it('prunes past AUDIT_RETENTION and the kept log still verifies; CLI key rotation is recorded as actor cli', async () => {
    const dataDir = tempDir();
    const env = { STORE: 'sqlite', DATA_DIR: dataDir, HUB_KEY, JWT_SECRET, AUDIT_RETENTION: '7d', ACCESS_TOKEN_TTL: '30d' };
    const clock = new FakeClock(Date.now());
    relay = await startRelay({ env, clock });
    const { token } = await pair(relay);
    await connectDevice(relay);
    await command(relay, token, 'lamp-1', { action: 'turn_on' });
    clock.advance(8 * 86_400_000);
    await command(relay, token, 'lamp-1', { action: 'turn_off' });
    await command(relay, token, 'lamp-1', { action: 'turn_on' });
    expect(await relay.server.services.audit.prune()).toBe(2);
    const { body } = await auditOf(relay, token);
    expect(body.entries.map((e: AuditEntry) => e.seq)).toEqual([3, 4]);
    expect(await relay.server.services.audit.verify('home-1')).toMatchObject({ ok: true, checked: 2, from: 3 });
    closeSockets();
    await relay.close();
    relay = undefined;

    const rotated = await relayCli(['homes', 'rotate-key', 'home-1'], env);
    expect(rotated.status).toBe(0);
    const listed = await relayCli(['audit', 'list', 'home-1', '--after', '4'], env);
    expect(JSON.parse(listed.stdout.trim())).toMatchObject({ seq: 5, actor: { kind: 'cli' }, channel: 'cli', event: 'home.key_rotated' });
    const verified = await relayCli(['audit', 'verify', 'home-1'], env);
    expect(verified.stdout).toContain('intact: 3 entries, seq 3..5');
  });
});

describeWith('audit log across instances on one Redis', redisServerBinary(), 'redis-server', (binary) => {
  const clusters = useClusters(binary);

  it('commands on two instances at once form one verifiable chain, delivered live to kiosks on both', async () => {
    const cluster = await clusters.start(2);
    const [a, b] = [cluster.at(0), cluster.at(1)];
    const kioskOnB = await connectKiosk(b);
    // Listening before the pairing: its own entry is group-committed after the claim answers and may
    // reach B's kiosk late, so it is counted apart from the commands' entries instead of racing them.
    const seenOnB: AuditEntry[] = [];
    kioskOnB.on('audit:entry', (e: AuditEntry) => seenOnB.push(e));
    const { token } = await pair(a, { kiosk: kioskOnB });
    await connectDevice(b);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => command(i % 2 ? a : b, token, 'lamp-1', { action: i % 3 ? 'turn_on' : 'turn_off' })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    await Promise.all([a.server.services.audit.settled(), b.server.services.audit.settled()]);
    const { body } = await auditOf(a, token, '?limit=500');
    expect(body.entries.map((e: AuditEntry) => e.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(await b.server.services.audit.verify('home-1')).toMatchObject({ ok: true, checked: 13 });
    await eventually(() => seenOnB.length >= 13, 10_000);
    expect(seenOnB.map((e) => e.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    const first = await nextEventOrNull(kioskOnB);
    expect(first).toBeNull();
  });
});

/** No further entry arrives (the log is quiet once the commands are done). */
async function nextEventOrNull(socket: Awaited<ReturnType<typeof connectKiosk>>): Promise<unknown> {
  return nextEvent(socket, 'audit:entry', 300).catch(() => null);
}
