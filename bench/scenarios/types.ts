import type { Features } from '../lib/features.ts';
import type { ScenarioOutcome } from '../report/types.ts';

export interface RunOptions {
  /** ~1 minute in total: shorter windows, fewer sockets. */
  quick: boolean;
  /** Which relay features exist on this branch (detected once per run). */
  features: Features;
}

export interface Scenario {
  name: string;
  title: string;
  run(options: RunOptions): Promise<ScenarioOutcome>;
}
