import type { ScenarioOutcome } from '../report/types.ts';

export interface RunOptions {
  /** ~1 minute in total: shorter windows, fewer sockets. */
  quick: boolean;
}

export interface Scenario {
  name: string;
  title: string;
  run(options: RunOptions): Promise<ScenarioOutcome>;
}
