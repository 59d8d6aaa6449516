/** A comma-separated setting's entries (an env variable, a CLI flag), trimmed, empty ones dropped. */
export const splitList = (raw: string): string[] =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
