import type { z } from 'zod';

export type DeviceState = Record<string, unknown>;

/** A device's answer to a command, as the `/device` contract spells it. */
export type Reply = { ok: true; state: DeviceState } | { ok: false; error: { code: string; message: string } };

/** One simulated appliance: what it is, how it answers commands, and how it drifts on its own. */
export interface SimulatedDevice {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly actions: readonly string[];
  state(): DeviceState;
  handle(action: string, params: Record<string, unknown>): Reply;
  /** Advances the simulation one step; true when the state changed and is worth reporting. */
  tick?(): boolean;
}

export const refuse = (code: string, message: string): Reply => ({ ok: false, error: { code, message } });

/** Parses an action's params; a malformed request is the device saying no, as real firmware would. */
export function paramsOf<S extends z.ZodType>(schema: S, params: Record<string, unknown>): { ok: true; value: z.infer<S> } | { ok: false; reply: Reply } {
  const parsed = schema.safeParse(params);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, reply: refuse('invalid_params', issue ? `${issue.path.join('.') || 'params'}: ${issue.message}` : 'Bad parameters.') };
}

export const unknownAction = (action: string): Reply => refuse('unknown_action', `Unknown action "${action}".`);

/** The on/off actions lights and plugs share: the new on-state, or undefined for any other action. */
export function switched(action: string, on: boolean): boolean | undefined {
  if (action === 'turn_on') return true;
  if (action === 'turn_off') return false;
  if (action === 'toggle') return !on;
  return undefined;
}
