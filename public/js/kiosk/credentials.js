// @ts-check
import { takeFragment } from '../shared/fragment.js';

const KEY = 'home-relay.kiosk';

/**
 * The screen's home serial and hub key: from `#serial=…&key=…` (printed by `npm start`) the
 * first time, then from localStorage. The fragment is removed from the address bar at once.
 */
export function loadCredentials() {
  const fragment = takeFragment();
  const serial = fragment.get('serial');
  const hubKey = fragment.get('key');
  if (serial && hubKey) {
    saveCredentials({ serial, hubKey });
    return { serial, hubKey };
  }
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    if (typeof stored?.serial === 'string' && typeof stored?.hubKey === 'string') return stored;
  } catch {
    /* unreadable storage: set up again */
  }
  return serial ? { serial, hubKey: '' } : null;
}

export function saveCredentials(credentials) {
  localStorage.setItem(KEY, JSON.stringify(credentials));
}

export function forgetCredentials() {
  localStorage.removeItem(KEY);
}
