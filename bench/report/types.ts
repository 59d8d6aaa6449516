/** One measured figure of a scenario, relay beside baseline. */
export interface Row {
  metric: string;
  unit: string;
  relay: number | null;
  /** null where the baseline has no equivalent (SSE) or the figure is relay-only. */
  baseline: number | null;
  /** relay / baseline, whichever direction is better. */
  ratio: number | null;
  target?: { op: '<=' | '>='; ratio: number };
  met?: boolean;
}

export interface ScenarioResult {
  name: string;
  title: string;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  rows: Row[];
  notes: string[];
  seconds: number;
}

export type ScenarioOutcome = Pick<ScenarioResult, 'status' | 'rows' | 'notes'> & { reason?: string };

export function row(metric: string, unit: string, relay: number | null, baseline: number | null, target?: Row['target']): Row {
  const ratio = relay !== null && baseline !== null && baseline > 0 && Number.isFinite(relay) ? relay / baseline : null;
  const met = target && ratio !== null ? (target.op === '<=' ? ratio <= target.ratio : ratio >= target.ratio) : undefined;
  return { metric, unit, relay, baseline, ratio, ...(target ? { target } : {}), ...(met !== undefined ? { met } : {}) };
}

export const skipped = (reason: string): ScenarioOutcome => ({ status: 'skipped', reason, rows: [], notes: [] });
