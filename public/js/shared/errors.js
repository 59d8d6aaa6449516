// @ts-check
import { when } from './time.js';

/** Error codes from the relay (API.md) in words a person understands. */
const words = {
  invalid_request: 'That request was not understood.',
  unsupported_action: 'This device cannot do that.',
  unauthorized: 'You are not signed in.',
  invalid_token: 'Your sign-in has expired. Pair again.',
  token_revoked: 'Access for this browser was revoked.',
  invalid_code: 'That code is wrong.',
  code_expired: 'There is no active code. Ask for a new one.',
  too_many_attempts: 'Too many wrong codes: that code is cancelled. Ask for a new one.',
  home_not_found: 'No home with that serial number is known to this relay.',
  grant_not_found: 'That client is already gone.',
  device_not_found: 'That device is not known any more.',
  session_not_found: 'That login request has expired or does not exist.',
  session_completed: 'That login request was already answered.',
  device_offline: 'The device is offline.',
  device_timeout: 'The device did not answer in time.',
  command_rejected: 'The device refused the command.',
  pairing_locked: 'Pairing is locked for a while after too many wrong codes.',
  rate_limited: 'Too many tries. Wait a moment and try again.',
  kiosk_offline: 'Your intercom screen is not connected to the relay, so it cannot show a code.',
  unavailable: 'The relay is temporarily unavailable. Try again shortly.',
  invalid_hub_key: 'This screen’s hub key is wrong. Enter the key printed when the relay started.',
  payload_too_large: 'That request was too large.',
  internal_error: 'Something went wrong on the relay.',
  timeout: 'No answer from the relay.',
  network: 'Cannot reach the relay. Check the connection.',
};

/**
 * A sentence for an error `{ code, message, details }`. Where the device or server gave a
 * specific reason (command_rejected), it is added.
 */
export function describeError(error) {
  const code = error?.code ?? 'internal_error';
  const base = words[code] ?? error?.message ?? 'Something went wrong.';
  if (code === 'command_rejected' && error?.message && error.message !== 'The device rejected the command.') {
    return `${base} It said: “${error.message}”.`;
  }
  if (code === 'rate_limited' && Number(error?.details?.retryAfter) > 0) {
    return `Too many tries. Wait ${Number(error.details.retryAfter)} seconds and try again.`;
  }
  if (code === 'pairing_locked' && typeof error?.details?.until === 'string') {
    return `Pairing is locked until ${when(error.details.until)} after too many wrong codes.`;
  }
  if (code === 'invalid_code' && typeof error?.details?.attemptsLeft === 'number') {
    const left = error.details.attemptsLeft;
    return `${base} ${left} ${left === 1 ? 'try' : 'tries'} left.`;
  }
  return base;
}
