import { type Reply, refuse, type SimulatedDevice, unknownAction } from '../model.ts';

/**
 * A door lock whose bolt can jam. `jam` stands in for the physical fault so the refusal path
 * (`command_rejected` at the API) can be shown and tested; `unjam` is someone clearing it.
 */
export class DoorLock implements SimulatedDevice {
  readonly type = 'lock';
  readonly actions = ['lock', 'unlock', 'jam', 'unjam'] as const;
  private locked = true;
  private jammed = false;

  constructor(
    readonly id = 'front-door-lock',
    readonly name = 'Front door lock',
  ) {}

  state() {
    return { locked: this.locked, jammed: this.jammed };
  }

  handle(action: string): Reply {
    switch (action) {
      case 'lock':
      case 'unlock':
        if (this.jammed) return refuse('jammed', 'The bolt is jammed; clear it ("unjam") and try again.');
        this.locked = action === 'lock';
        break;
      case 'jam':
        this.jammed = true;
        break;
      case 'unjam':
        this.jammed = false;
        break;
      default:
        return unknownAction(action);
    }
    return { ok: true, state: this.state() };
  }
}
