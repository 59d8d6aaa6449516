/**
 * The audit log's records. An entry says who did what to which target, how it ended and, when it
 * was a command, how long it took. It never carries a code, token, key or command parameters:
 * the log is read by people and kept for months, so nothing in it may open the home.
 */

export type AuditActorKind = 'grant' | 'kiosk' | 'cli' | 'system';

export interface AuditActor {
  kind: AuditActorKind;
  grantId?: string;
  clientName?: string;
}

/** How the action reached the relay. */
export type AuditChannel = 'rest' | 'socket' | 'kiosk' | 'mqtt' | 'cli' | 'system';

/** What a caller hands the log; seq, time and the chain are added when it is appended. */
export interface AuditDraft {
  actor: AuditActor;
  channel: AuditChannel;
  /** Dotted name: `device.command`, `pairing.claimed`, `grant.revoked`, `guest.invited` … */
  event: string;
  /** A device id, grant id or invite id the event is about. */
  target?: string;
  /** The command's action, for `device.command`. */
  action?: string;
  /** `ok`, `rejected`, `timeout`, `offline`, `denied`, or another short word for non-commands. */
  outcome: string;
  latencyMs?: number;
}

export interface AuditEntry extends AuditDraft {
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

/** The newest entry of a home's chain (or the anchor left by pruning); seq 0 and GENESIS when empty. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** Seals a batch of drafts onto a head: the entries that follow it, in order. */
export type ChainBuilder = (head: ChainHead) => AuditEntry[];

/**
 * Where one kind of store keeps the log. `append` makes `build(head)` the next entries atomically
 * (one write for the batch): two writers (two instances, or the CLI beside a server) never fork the chain.
 */
export interface AuditBackend {
  append(serial: string, build: ChainBuilder): Promise<AuditEntry[]>;
  /** Entries with seq > after, oldest first, at most `limit`. */
  list(serial: string, after: number, limit: number): Promise<AuditEntry[]>;
  /** The newest `count` entries, oldest first (a screen showing recent activity). */
  latest(serial: string, count: number): Promise<AuditEntry[]>;
  /** The last pruned entry's seq and hash: the oldest kept entry must chain onto it. Null when nothing was pruned. */
  anchor(serial: string): Promise<ChainHead | null>;
  /** Drops entries older than `before` (ISO), always keeping the newest; returns how many went. */
  prune(serial: string, before: string): Promise<number>;
  /** Serials that have a log (retention walks them). */
  serials(): Promise<string[]>;
}

/** Who did it and how it arrived: what every auditable service call is told. */
export interface AuditOrigin {
  actor: AuditActor;
  channel: AuditChannel;
}

export const grantActor = (grant: { id: string; clientName: string }): AuditActor => ({
  kind: 'grant',
  grantId: grant.id,
  clientName: grant.clientName,
});

export const kioskOrigin: AuditOrigin = { actor: { kind: 'kiosk' }, channel: 'kiosk' };
export const systemOrigin: AuditOrigin = { actor: { kind: 'system' }, channel: 'system' };
export const cliOrigin: AuditOrigin = { actor: { kind: 'cli' }, channel: 'cli' };
