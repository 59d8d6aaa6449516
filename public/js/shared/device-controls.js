// @ts-check
import { h } from './dom.js';
import { brightnessAction, brightnessOf, isLocked, isOn, lockActions, powerActions, targetAction, targetOf } from './device-kinds.js';

/**
 * Controls for one device. Each control is `{ el, update(device) }`; `run(action, params)`
 * sends a command and resolves when the device answered. Controls are built once and updated
 * in place, so focus and a slider being dragged survive live state updates.
 */
export function buildControls(device, run) {
  const actions = device.actions ?? [];
  const used = new Set();
  const controls = [];
  const take = (found) => {
    if (!found) return null;
    for (const name of found.used) used.add(name);
    return found;
  };
  const label = device.name;

  const power = ['light', 'plug', 'switch'].includes(device.type) || isOn(device.state ?? {}) !== undefined ? take(powerActions(actions)) : null;
  if (power) controls.push(powerSwitch(label, power, run));
  const brightness = device.type === 'light' || brightnessOf(device.state ?? {}) !== undefined ? take(brightnessAction(actions)) : null;
  if (brightness) controls.push(brightnessSlider(device, brightness, run));
  const lock = take(lockActions(actions));
  if (lock) controls.push(lockButton(label, lock, run));
  const target = device.type === 'thermostat' || targetOf(device.state ?? {}) !== undefined ? take(targetAction(actions)) : null;
  if (target) controls.push(targetStepper(device, target, run));

  for (const action of actions.filter((a) => !used.has(a))) {
    const button = h('button', { type: 'button', class: 'secondary', 'aria-label': `${humanize(action)}: ${label}` }, humanize(action));
    button.addEventListener('click', () => run(action));
    controls.push({ el: button, update() {} });
  }
  return controls;
}

const humanize = (action) => action.replace(/[_-]+/g, ' ').replace(/^./, (c) => c.toUpperCase());

function powerSwitch(label, power, run) {
  const button = h('button', { type: 'button', role: 'switch', class: 'switch', 'aria-label': `${label} power` });
  const text = h('span', { class: 'switch-text' });
  button.append(h('span', { class: 'switch-track', 'aria-hidden': 'true' }, h('span', { class: 'switch-thumb' })), text);
  let on = false;
  button.addEventListener('click', () => {
    const [action, params] = on ? power.off : power.on;
    run(action, params);
  });
  return {
    el: button,
    update(device) {
      on = isOn(device.state ?? {}) === true;
      button.setAttribute('aria-checked', String(on));
      text.textContent = on ? 'On' : 'Off';
    },
  };
}

function brightnessSlider(device, found, run) {
  const id = `brightness-${device.id}`;
  const input = h('input', { type: 'range', id, min: '0', max: '100', step: '5' });
  const output = h('output', { for: id, class: 'slider-value' });
  let dragging = false;
  input.addEventListener('pointerdown', () => (dragging = true));
  input.addEventListener('pointerup', () => (dragging = false));
  input.addEventListener('input', () => (output.textContent = `${input.value}%`));
  input.addEventListener('change', () => run(found.used[0], found.params(Number(input.value))));
  const el = h('div', { class: 'slider' }, h('label', { for: id }, `Brightness`, h('span', { class: 'visually-hidden' }, ` of ${device.name}`)), input, output);
  return {
    el,
    update(d) {
      const value = brightnessOf(d.state ?? {});
      if (value === undefined || dragging) return;
      input.value = String(value);
      output.textContent = `${value}%`;
    },
  };
}

function lockButton(label, found, run) {
  const button = h('button', { type: 'button', class: 'primary' });
  let locked;
  button.addEventListener('click', () => run(locked ? found.unlock : found.lock));
  return {
    el: button,
    update(device) {
      locked = isLocked(device.state ?? {});
      const verb = locked ? 'Unlock' : 'Lock';
      button.textContent = verb;
      button.setAttribute('aria-label', `${verb} ${label}`);
    },
  };
}

function targetStepper(device, found, run) {
  const state = () => current.state ?? {};
  let current = device;
  const step = 0.5;
  const value = h('output', { class: 'stepper-value', 'aria-live': 'polite' });
  const change = (delta) => {
    const s = state();
    const min = typeof s.min === 'number' ? s.min : 5;
    const max = typeof s.max === 'number' ? s.max : 30;
    const next = Math.min(max, Math.max(min, (targetOf(s) ?? 20) + delta));
    run(found.used[0], found.params(Math.round(next * 10) / 10));
  };
  const down = h('button', { type: 'button', class: 'secondary round', 'aria-label': `Lower target temperature of ${device.name}` }, '−');
  const up = h('button', { type: 'button', class: 'secondary round', 'aria-label': `Raise target temperature of ${device.name}` }, '+');
  down.addEventListener('click', () => change(-step));
  up.addEventListener('click', () => change(step));
  const el = h('div', { class: 'stepper', role: 'group', 'aria-label': `Target temperature of ${device.name}` }, down, value, up);
  return {
    el,
    update(d) {
      current = d;
      const target = targetOf(d.state ?? {});
      value.textContent = target === undefined ? '–' : `${target}\u00a0°C`;
    },
  };
}
