// @ts-check
import { refreshTokens } from './auth.js';
import { readSession } from './session.js';

/** @type {(error: unknown) => void} */
let sessionEnded = () => {};

/**
 * Where a lost session is reported (a revoked grant, a refresh that failed).
 * @param {(error: unknown) => void} handler
 */
export function onSessionEnded(handler) {
  sessionEnded = handler;
}

/**
 * JSON over fetch. Resolves with the parsed body; rejects with `{ status, code, message, details }`
 * from the relay's error body. An expired access token is refreshed once and the call retried.
 * @param {string} path
 * @param {{ method?: string, body?: unknown, auth?: boolean }} [options]
 */
export async function api(path, { method = 'GET', body, auth = true } = {}) {
  const attempt = async (token) => {
    const headers = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw { status: 0, code: 'network', message: 'Cannot reach the relay.' };
    }
    const text = await res.text();
    const parsed = text ? safeJson(text) : null;
    if (res.ok) return parsed;
    const error = parsed?.error ?? { code: 'internal_error', message: `HTTP ${res.status}` };
    const retryAfter = res.headers.get('retry-after');
    // The Retry-After header, for errors whose body does not repeat it.
    if (retryAfter && error.details?.retryAfter === undefined) error.details = { ...error.details, retryAfter: Number(retryAfter) };
    throw { status: res.status, ...error };
  };

  if (!auth) return attempt(undefined);
  const session = readSession();
  if (!session) throw { status: 401, code: 'unauthorized', message: 'Not signed in.' };
  try {
    return await attempt(session.token);
  } catch (err) {
    if (err.status !== 401) throw err;
    if (err.code === 'invalid_token') {
      let fresh;
      try {
        fresh = await refreshTokens(session.token);
      } catch (refreshError) {
        if (refreshError.code !== 'network') sessionEnded(refreshError);
        throw refreshError;
      }
      return attempt(fresh.token);
    }
    sessionEnded(err);
    throw err;
  }
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
