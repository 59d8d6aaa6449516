/** Messages between the orchestrator and a load-generator child (over the fork IPC channel). */
export type ToLoad = { load: 'run'; client: string; params: unknown } | { load: 'cmd'; name: string };
export type FromLoad =
  | { load: 'phase'; name: string; data: unknown }
  | { load: 'done'; result: unknown }
  | { load: 'error'; error: string };

/** What a client may do besides returning its result: report a phase and wait for the orchestrator. */
export interface LoadContext {
  phase(name: string, data?: unknown): void;
  waitFor(command: string, timeoutMs?: number): Promise<void>;
}

export type LoadClient = (params: unknown, ctx: LoadContext) => Promise<unknown>;
