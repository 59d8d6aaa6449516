import { type Reply, type SimulatedDevice, switched, unknownAction } from '../model.ts';

/** What the appliance on the plug draws, give or take a little noise. */
const LOAD_W = 60;
const NOISE_W = 4;

/** A smart plug with a power meter; `random` is injectable so tests can pin the readings. */
export class Plug implements SimulatedDevice {
  readonly type = 'plug';
  readonly actions = ['turn_on', 'turn_off', 'toggle'] as const;
  private on = false;
  private powerW = 0;

  constructor(
    readonly id = 'kitchen-plug',
    readonly name = 'Kitchen plug',
    private readonly random: () => number = Math.random,
  ) {}

  state() {
    return { on: this.on, powerW: this.powerW };
  }

  handle(action: string): Reply {
    const on = switched(action, this.on);
    if (on === undefined) return unknownAction(action);
    this.on = on;
    this.powerW = this.reading();
    return { ok: true, state: this.state() };
  }

  tick(): boolean {
    const next = this.reading();
    if (next === this.powerW) return false;
    this.powerW = next;
    return true;
  }

  private reading(): number {
    return this.on ? Math.round((LOAD_W + (this.random() * 2 - 1) * NOISE_W) * 10) / 10 : 0;
  }
}
