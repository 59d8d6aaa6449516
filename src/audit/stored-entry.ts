import type { AuditEntry } from './types.ts';

/** Placeholders made for rows that did not parse, so verification can name them for what they are. */
const unreadable = new WeakSet<AuditEntry>();

/**
 * An entry as the store keeps it (the JSON that was hashed). A row someone edited into something
 * that is not an entry's JSON must not turn every read of its page into a 500, nor crash `relay
 * audit verify`: it is read as a placeholder at its seq, which lists as `audit.unreadable` and
 * which verification reports as the entry where the chain breaks.
 */
export function readStoredEntry(raw: string, seq: number): AuditEntry {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as AuditEntry;
  } catch {
    // Falls through to the placeholder.
  }
  const placeholder: AuditEntry = { seq, at: '', actor: { kind: 'system' }, channel: 'system', event: 'audit.unreadable', outcome: 'unreadable', prevHash: '', hash: '' };
  unreadable.add(placeholder);
  return placeholder;
}

export const isUnreadable = (entry: AuditEntry): boolean => unreadable.has(entry);
