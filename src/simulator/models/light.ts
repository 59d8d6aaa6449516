import { z } from 'zod';
import { paramsOf, type Reply, type SimulatedDevice, switched, unknownAction } from '../model.ts';

const brightnessParams = z.object({ brightness: z.number().int().min(0).max(100) });

/** A dimmable light. Setting a brightness switches it on; brightness 0 switches it off. */
export class Light implements SimulatedDevice {
  readonly type = 'light';
  readonly actions = ['turn_on', 'turn_off', 'toggle', 'set_brightness'] as const;
  private on = false;
  private brightness = 80;

  constructor(
    readonly id = 'living-room-light',
    readonly name = 'Living room light',
  ) {}

  state() {
    return { on: this.on, brightness: this.brightness };
  }

  handle(action: string, params: Record<string, unknown>): Reply {
    const on = switched(action, this.on);
    if (on !== undefined) {
      this.on = on;
      return { ok: true, state: this.state() };
    }
    if (action !== 'set_brightness') return unknownAction(action);
    const p = paramsOf(brightnessParams, params);
    if (!p.ok) return p.reply;
    this.brightness = p.value.brightness;
    this.on = p.value.brightness > 0;
    return { ok: true, state: this.state() };
  }
}
