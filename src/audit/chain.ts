import { createHash } from 'node:crypto';
import { isUnreadable } from './stored-entry.ts';
import type { AuditDraft, AuditEntry, ChainBuilder, ChainHead } from './types.ts';

/** The prevHash of a home's first entry. */
export const GENESIS = '0'.repeat(64);

export const emptyHead: ChainHead = { seq: 0, hash: GENESIS };

/**
 * JSON with object keys sorted at every level and no whitespace, so the same entry always hashes
 * the same on every instance and after a round trip through any store.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  let out = '';
  // Default sort compares UTF-16 code units, the same order on every engine.
  for (const key of Object.keys(record).sort()) {
    const field = record[key];
    if (field === undefined) continue;
    out += `${out ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(field)}`;
  }
  return `{${out}}`;
}

const entryKeys = new Set(['action', 'actor', 'at', 'channel', 'event', 'latencyMs', 'outcome', 'prevHash', 'seq', 'target', 'hash']);
const actorKeys = new Set(['clientName', 'grantId', 'kind']);
const onlyKeys = (value: object, allowed: Set<string>) => Object.keys(value).every((k) => allowed.has(k));
const field = (name: string, value: unknown) => (value === undefined ? '' : `,"${name}":${JSON.stringify(value)}`);

/**
 * canonicalJson of an entry without `hash`, written out field by field (keys in sorted order):
 * the same bytes, several times faster, for the command path. Anything with fields it does not
 * know (an edited row) takes the general path, so it still cannot hash like the original.
 */
export function canonicalEntry(entry: Omit<AuditEntry, 'hash'>): string {
  const { actor } = entry;
  if (!onlyKeys(entry, entryKeys) || typeof actor !== 'object' || actor === null || !onlyKeys(actor, actorKeys)) {
    const { hash: _ignored, ...body } = entry as AuditEntry;
    return canonicalJson(body);
  }
  const actorJson = `{${`${field('clientName', actor.clientName)}${field('grantId', actor.grantId)}${field('kind', actor.kind)}`.slice(1)}}`;
  const body =
    `${field('action', entry.action)},"actor":${actorJson}${field('at', entry.at)}${field('channel', entry.channel)}${field('event', entry.event)}` +
    `${field('latencyMs', entry.latencyMs)}${field('outcome', entry.outcome)}${field('prevHash', entry.prevHash)}${field('seq', entry.seq)}${field('target', entry.target)}`;
  return `{${body.slice(1)}}`;
}

/** SHA-256 over the previous hash and the entry's canonical JSON (everything but `hash`). */
export function hashOf(entry: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(`${entry.prevHash}\n${canonicalEntry(entry)}`).digest('hex');
}

/** The next entry after `head`. Only known fields are copied: a caller's stray field never reaches the log. */
export function seal(head: ChainHead, draft: AuditDraft, at: string): AuditEntry {
  const { actor } = draft;
  const body: Omit<AuditEntry, 'hash'> = {
    seq: head.seq + 1,
    at,
    actor: {
      kind: actor.kind,
      ...(actor.grantId !== undefined ? { grantId: actor.grantId } : {}),
      ...(actor.clientName !== undefined ? { clientName: actor.clientName } : {}),
    },
    channel: draft.channel,
    event: draft.event,
    ...(draft.target !== undefined ? { target: draft.target } : {}),
    ...(draft.action !== undefined ? { action: draft.action } : {}),
    outcome: draft.outcome,
    ...(draft.latencyMs !== undefined ? { latencyMs: draft.latencyMs } : {}),
    prevHash: head.hash,
  };
  return { ...body, hash: hashOf(body) };
}

export type ChainVerdict =
  | { ok: true; checked: number; from: number | null; to: number | null }
  | { ok: false; checked: number; brokenSeq: number; reason: string };

/**
 * Walks entries oldest first. Each must follow the one before (seq + 1, prevHash = its hash) and
 * hash to what it says; the oldest must chain onto the pruning anchor (or GENESIS at seq 1), so a
 * deleted head of the log is caught as surely as an edited row.
 */
export function verifyChain(entries: Iterable<AuditEntry>, anchor: ChainHead | null): ChainVerdict {
  let previous: ChainHead = anchor ?? emptyHead;
  let checked = 0;
  let from: number | null = null;
  for (const entry of entries) {
    if (isUnreadable(entry)) return { ok: false, checked, brokenSeq: entry.seq, reason: 'the stored entry is not valid JSON (edited)' };
    if (entry.seq !== previous.seq + 1) {
      return { ok: false, checked, brokenSeq: entry.seq, reason: `expected seq ${previous.seq + 1} (an entry is missing)` };
    }
    if (entry.prevHash !== previous.hash) {
      return { ok: false, checked, brokenSeq: entry.seq, reason: 'prevHash does not match the entry before it' };
    }
    if (hashOf(entry) !== entry.hash) return { ok: false, checked, brokenSeq: entry.seq, reason: 'hash does not match its content (edited)' };
    from ??= entry.seq;
    previous = { seq: entry.seq, hash: entry.hash };
    checked++;
  }
  return { ok: true, checked, from, to: checked > 0 ? previous.seq : null };
}

/** A draft and the time it was recorded (a batch is written a little later). */
export interface TimedDraft {
  draft: AuditDraft;
  at: string;
}

/** Seals drafts one after another onto whatever head the backend finds. */
export function sealAll(drafts: readonly TimedDraft[]): ChainBuilder {
  return (head) => {
    const entries: AuditEntry[] = [];
    let previous = head;
    for (const { draft, at } of drafts) {
      const entry = seal(previous, draft, at);
      entries.push(entry);
      previous = { seq: entry.seq, hash: entry.hash };
    }
    return entries;
  };
}
