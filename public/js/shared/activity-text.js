// @ts-check
/**
 * One audit entry as a sentence a person reads on the intercom: "Anna’s phone unlocked Front door".
 * `nameOf(deviceId)` gives a device's name when known (the id otherwise).
 */
const verbs = {
  turn_on: 'turned on',
  turn_off: 'turned off',
  toggle: 'switched',
  lock: 'locked',
  unlock: 'unlocked',
  set_brightness: 'dimmed',
  set_target: 'set the temperature of',
};

const failures = {
  rejected: 'refused by the device',
  timeout: 'no answer from the device',
  offline: 'device offline',
  denied: 'not allowed',
  not_found: 'no such device',
};

const events = {
  'pairing.claimed': 'paired with a code',
  'qr.completed': 'logged in by QR',
  'qr.approved': 'approved a QR login',
  'qr.denied': 'denied a QR login',
  'guest.invited': 'invited a guest',
  'guest.claimed': 'joined as a guest',
  'grant.revoked': 'revoked a paired client',
  'device.enrolled': 'enrolled a device',
  'device.removed': 'removed a device',
  'home.removed': 'removed the home',
  'pairing.burned': 'burned a pairing code after wrong guesses',
  'pairing.locked': 'locked pairing after wrong guesses',
  'pairing.unlocked': 'unlocked pairing',
  'home.key_rotated': 'rotated the hub key',
  'home.device_auth': 'changed how devices sign in',
  'home.added': 'created the home',
};

export function actorName(actor) {
  if (actor?.clientName) return actor.clientName;
  return { kiosk: 'Intercom', cli: 'Administrator', system: 'Relay' }[actor?.kind] ?? 'Someone';
}

export function activityText(entry, nameOf = (id) => id) {
  const who = actorName(entry.actor);
  if (entry.event === 'device.command') {
    const device = nameOf(entry.target);
    const verb = verbs[entry.action] ?? `ran “${entry.action}” on`;
    if (entry.outcome === 'ok' || entry.outcome === 'replayed') return `${who} ${verb} ${device}`;
    return `${who} tried: ${verb} ${device} (${failures[entry.outcome] ?? entry.outcome})`;
  }
  return `${who} ${events[entry.event] ?? entry.event.replace(/[._]/g, ' ')}`;
}
