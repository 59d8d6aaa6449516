// @ts-check
/**
 * How a device's type, actions and state map onto controls. The contract fixes the device
 * object but not action names, so each control accepts the common spellings and is shown only
 * when the device lists a matching action; anything left over gets a plain button.
 */
const first = (actions, names) => names.find((name) => actions.includes(name));

export const typeLabels = { light: 'Light', lock: 'Lock', thermostat: 'Thermostat', plug: 'Plug', switch: 'Switch', sensor: 'Sensor' };

/** true / false / undefined (unknown) from the usual ways of saying "it is on". */
export function isOn(state) {
  if (typeof state.on === 'boolean') return state.on;
  if (typeof state.power === 'boolean') return state.power;
  if (state.power === 'on' || state.state === 'on') return true;
  if (state.power === 'off' || state.state === 'off') return false;
  return undefined;
}

export function isLocked(state) {
  if (typeof state.locked === 'boolean') return state.locked;
  if (state.lock === 'locked' || state.state === 'locked') return true;
  if (state.lock === 'unlocked' || state.state === 'unlocked') return false;
  return undefined;
}

const num = (...values) => values.find((v) => typeof v === 'number' && Number.isFinite(v));

export const brightnessOf = (state) => num(state.brightness, state.level);
export const targetOf = (state) => num(state.targetC, state.target, state.targetTemperature, state.setpoint);
export const temperatureOf = (state) => num(state.currentC, state.temperature, state.currentTemperature, state.current);

/** The power actions: { on: [action, params], off: [action, params] } or null. */
export function powerActions(actions) {
  const on = first(actions, ['turn_on', 'on', 'switch_on', 'power_on']);
  const off = first(actions, ['turn_off', 'off', 'switch_off', 'power_off']);
  // With explicit on and off, a toggle action adds nothing a switch does not already do.
  if (on && off) return { used: [on, off, 'toggle'], on: [on, undefined], off: [off, undefined] };
  const toggle = first(actions, ['toggle']);
  if (toggle) return { used: [toggle], on: [toggle, undefined], off: [toggle, undefined] };
  const set = first(actions, ['set_power', 'set_on']);
  if (set) return { used: [set], on: [set, { on: true }], off: [set, { on: false }] };
  return null;
}

export function brightnessAction(actions) {
  const name = first(actions, ['set_brightness', 'brightness', 'dim', 'set_level']);
  return name ? { used: [name], params: (value) => (name === 'set_level' ? { level: value } : { brightness: value }) } : null;
}

export function lockActions(actions) {
  const lock = first(actions, ['lock']);
  const unlock = first(actions, ['unlock']);
  return lock && unlock ? { used: [lock, unlock], lock, unlock } : null;
}

export function targetAction(actions) {
  const name = first(actions, ['set_target', 'set_temperature', 'set_target_temperature', 'set_setpoint']);
  const key = { set_target: 'target', set_temperature: 'temperature', set_target_temperature: 'targetTemperature', set_setpoint: 'setpoint' };
  return name ? { used: [name], params: (value) => ({ [key[name]]: value }) } : null;
}

/** One short line describing a device's state for people. */
export function stateSummary(device) {
  const s = device.state ?? {};
  const parts = [];
  const on = isOn(s);
  if (on !== undefined) parts.push(on ? 'On' : 'Off');
  const brightness = brightnessOf(s);
  if (brightness !== undefined && on !== false) parts.push(`${brightness}% bright`);
  const locked = isLocked(s);
  if (locked !== undefined) parts.push(locked ? 'Locked' : 'Unlocked');
  const temperature = temperatureOf(s);
  if (temperature !== undefined) parts.push(`${temperature}\u00a0°C now`);
  const target = targetOf(s);
  if (target !== undefined) parts.push(`target ${target}\u00a0°C`);
  if (s.heating === true) parts.push('heating');
  if (s.jammed === true) parts.push('jammed');
  if (typeof s.powerW === 'number' && on !== false) parts.push(`${s.powerW} W`);
  if (parts.length > 0) return parts.join(' · ');
  const generic = Object.entries(s)
    .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))
    .slice(0, 4)
    .map(([k, v]) => `${k}: ${v}`);
  return generic.join(' · ') || 'No state reported';
}
