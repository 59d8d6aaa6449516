const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30h" → 108000000. A bare number is read in `bareUnit`. Returns null when unreadable. */
export function parseDuration(raw: string, bareUnit: 'ms' | 's'): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(raw);
  if (!match) return null;
  const value = Number(match[1]);
  const unit = (match[2] ?? bareUnit).toLowerCase();
  const factor = units[unit];
  if (factor === undefined || !Number.isFinite(value)) return null;
  return Math.round(value * factor);
}
