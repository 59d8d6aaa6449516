/**
 * One registry of every error code the contract names: status and default message live here,
 * so REST responses and socket acknowledgements can never disagree about a code.
 */
export const errorCodes = {
  invalid_request: { status: 400, message: 'The request is malformed.' },
  unsupported_action: { status: 400, message: 'The device does not support this action.' },
  unauthorized: { status: 401, message: 'Authentication is required.' },
  invalid_token: { status: 401, message: 'The token is invalid or expired.' },
  token_revoked: { status: 401, message: 'The token has been revoked.' },
  invalid_code: { status: 401, message: 'The pairing code is wrong.' },
  code_expired: { status: 401, message: 'There is no active pairing code; request a new one.' },
  home_not_found: { status: 404, message: 'No such home.' },
  grant_not_found: { status: 404, message: 'No such grant.' },
  device_not_found: { status: 404, message: 'No such device.' },
  session_not_found: { status: 404, message: 'No such QR session.' },
  forbidden_origin: { status: 403, message: 'Cross-site requests that change state are refused; this origin is not in CORS_ORIGINS.' },
  not_found: { status: 404, message: 'Not found.' },
  insufficient_scope: { status: 403, message: 'This grant\'s scope does not allow that.' },
  device_offline: { status: 409, message: 'The device is offline.' },
  session_completed: { status: 409, message: 'The QR session is already completed.' },
  device_enrolled: { status: 409, message: 'This device already has a key; remove the device or use "relay devices add" to replace it.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  request_timeout: { status: 408, message: 'The request took too long to arrive.' },
  header_too_large: { status: 431, message: 'The request headers are too large.' },
  command_rejected: { status: 422, message: 'The device rejected the command.' },
  pairing_locked: { status: 423, message: 'Pairing is locked for this home after repeated failures.' },
  too_many_attempts: { status: 429, message: 'Too many wrong codes; this code is burned. Request a new one.' },
  rate_limited: { status: 429, message: 'Too many requests; slow down.' },
  internal_error: { status: 500, message: 'Internal server error.' },
  kiosk_offline: { status: 503, message: 'No intercom screen of this home is connected.' },
  unavailable: { status: 503, message: 'A dependency is unavailable; try again shortly.' },
  device_timeout: { status: 504, message: 'The device did not answer in time.' },
  // Socket handshake refusals (never HTTP responses).
  invalid_hub_key: { status: 401, message: 'The hub key is wrong.' },
  invalid_device_key: { status: 401, message: 'The device key is wrong, or this device must use its own key.' },
  too_many_devices: { status: 409, message: 'This home has as many devices as MAX_DEVICES_PER_HOME allows; remove one first.' },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: unknown,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message ?? errorCodes[code].message);
    this.status = errorCodes[code].status;
  }

  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export const appError = (code: ErrorCode, message?: string, details?: unknown) => new AppError(code, message, details);

/** Anything thrown that is not an AppError becomes a bare internal error: internals never leak. */
export function toAppError(err: unknown): AppError {
  return err instanceof AppError ? err : new AppError('internal_error');
}
