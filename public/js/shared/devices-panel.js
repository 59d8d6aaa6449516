// @ts-check
import { describeError } from './errors.js';
import { buildControls } from './device-controls.js';
import { stateSummary, typeLabels } from './device-kinds.js';
import { fill, h } from './dom.js';

/**
 * The live list of a home's devices, shared by the kiosk and the dashboard.
 * `send(deviceId, action, params)` resolves with `{ device }` or rejects with `{ code, message }`.
 */
export function devicePanel(list, empty, send) {
  const cards = new Map();

  const sync = () => {
    empty.hidden = cards.size > 0;
    const sorted = [...cards.values()].sort((a, b) => a.device.name.localeCompare(b.device.name));
    for (const card of sorted) list.append(card.el); // append moves: keeps order without rebuilding
  };

  const upsert = (device) => {
    const card = cards.get(device.id);
    if (card?.sameShape(device)) card.update(device);
    else {
      const fresh = deviceCard(device, send);
      if (card) card.el.replaceWith(fresh.el);
      cards.set(device.id, fresh);
    }
    sync();
  };

  return {
    setAll(devices) {
      for (const [id, card] of cards) {
        if (!devices.some((d) => d.id === id)) {
          card.el.remove();
          cards.delete(id);
        }
      }
      for (const device of devices) upsert(device);
      sync();
    },
    upsert,
    /** `device:offline` may carry only part of the device; keep what we know. */
    merge(partial) {
      const known = cards.get(partial.id)?.device;
      upsert(known ? { ...known, ...partial } : partial);
    },
    /** `device:removed`: the device was forgotten (removed, or offline past retention). */
    remove(id) {
      cards.get(id)?.el.remove();
      cards.delete(id);
      sync();
    },
    clear() {
      cards.clear();
      list.replaceChildren();
      empty.hidden = false;
    },
  };
}

function deviceCard(initial, send) {
  let device = initial;
  let pending = false;
  const status = h('span', { class: 'badge' });
  const summary = h('p', { class: 'device-state' });
  const error = h('p', { class: 'device-error', role: 'status', 'aria-live': 'polite' });
  const run = async (action, params) => {
    if (pending) return;
    pending = true;
    el.setAttribute('aria-busy', 'true');
    error.textContent = '';
    try {
      const result = await send(device.id, action, params);
      if (result?.device) update(result.device);
    } catch (err) {
      error.textContent = describeError(err);
    } finally {
      pending = false;
      el.removeAttribute('aria-busy');
    }
  };
  const controls = buildControls(device, run);
  const headingId = `device-${device.id}-name`;
  const el = h(
    'li',
    { class: 'device', 'aria-labelledby': headingId, dataset: { deviceId: device.id } },
    h('div', { class: 'device-head' }, h('h3', { id: headingId }, device.name), h('span', { class: 'type' }, typeLabels[device.type] ?? device.type), status),
    summary,
    h('div', { class: 'controls' }, controls.map((c) => c.el)),
    error,
  );

  function update(next) {
    device = next;
    el.classList.toggle('offline', !device.online);
    fill(status, device.online ? 'Online' : 'Offline');
    status.className = `badge ${device.online ? 'ok' : 'muted'}`;
    summary.textContent = stateSummary(device);
    for (const control of controls) control.update(device);
  }
  update(device);

  const shape = (d) => `${d.type}|${(d.actions ?? []).join(',')}|${d.name}`;
  return {
    el,
    get device() {
      return device;
    },
    sameShape: (next) => shape(next) === shape(device),
    update,
  };
}
