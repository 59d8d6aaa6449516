import { z } from 'zod';
import { paramsOf, type Reply, refuse, type SimulatedDevice, unknownAction } from '../model.ts';

export const MIN_TARGET_C = 5;
export const MAX_TARGET_C = 30;
const targetParams = z.object({ target: z.number().finite() });
/** How far the room moves towards the target per tick. */
const STEP_C = 0.5;

/** A heating thermostat: the room temperature creeps towards the target, one step per tick. */
export class Thermostat implements SimulatedDevice {
  readonly type = 'thermostat';
  readonly actions = ['set_target'] as const;
  private target = 21;
  private current = 19;

  constructor(
    readonly id = 'hall-thermostat',
    readonly name = 'Hall thermostat',
  ) {}

  state() {
    return { targetC: this.target, currentC: this.current, heating: this.current < this.target };
  }

  handle(action: string, params: Record<string, unknown>): Reply {
    if (action !== 'set_target') return unknownAction(action);
    const p = paramsOf(targetParams, params);
    if (!p.ok) return p.reply;
    const { target } = p.value;
    if (target < MIN_TARGET_C || target > MAX_TARGET_C) {
      return refuse('out_of_range', `The target must be between ${MIN_TARGET_C} and ${MAX_TARGET_C} °C; got ${target}.`);
    }
    this.target = Math.round(target * 2) / 2; // the dial moves in half degrees
    return { ok: true, state: this.state() };
  }

  tick(): boolean {
    const gap = this.target - this.current;
    if (gap === 0) return false;
    this.current = Math.abs(gap) <= STEP_C ? this.target : Math.round((this.current + Math.sign(gap) * STEP_C) * 10) / 10;
    return true;
  }
}
