// @ts-check
import { readSession, saveTokens } from './session.js';

/**
 * Token refresh. Refresh tokens rotate and a reused one revokes the whole grant, so two tabs
 * must never spend the same one: refreshes take a Web Lock (where the browser has it) and,
 * inside it, skip the request when another tab already stored a newer pair.
 */
let inflight = null;

export function refreshTokens(staleToken) {
  // One refresh at a time in this tab too: the socket and a REST call may both find the token stale.
  inflight ??= refreshOnce(staleToken).finally(() => (inflight = null));
  return inflight;
}

async function refreshOnce(staleToken) {
  const work = async () => {
    const stored = readSession();
    if (!stored) throw { status: 401, code: 'unauthorized', message: 'Not signed in.' };
    if (stored.token !== staleToken && stored.expiresAt - Date.now() > refreshLead(stored)) return stored;
    let res;
    try {
      res = await fetch('/api/v1/tokens/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: stored.refreshToken }),
      });
    } catch {
      throw { status: 0, code: 'network', message: 'Cannot reach the relay.' };
    }
    const body = await res.json().catch(() => null);
    if (!res.ok) throw { status: res.status, ...(body?.error ?? { code: 'internal_error' }) };
    return saveTokens(body);
  };
  return navigator.locks ? navigator.locks.request('home-relay-refresh', work) : work();
}

/** How long before expiry to refresh: a fifth of the lifetime, at most five minutes. */
export function refreshLead(session) {
  return Math.min(5 * 60_000, (session.expiresAt - session.issuedAt) * 0.2);
}

/**
 * Keeps the access token fresh while the page is open: a timer before expiry, and a check when
 * the tab becomes visible again (timers sleep with the laptop). `onFailed(error)` ends the session.
 */
export function keepFresh(onFailed) {
  let timer;
  const check = async () => {
    clearTimeout(timer);
    const session = readSession();
    if (!session) return;
    const due = session.expiresAt - refreshLead(session) - Date.now();
    if (due > 0) {
      timer = setTimeout(check, Math.min(due, 2_000_000_000));
      return;
    }
    try {
      await refreshTokens(session.token);
      void check();
    } catch (err) {
      if (err.code === 'network') timer = setTimeout(check, 15_000);
      else onFailed(err);
    }
  };
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && check());
  void check();
  return { reschedule: check, stop: () => clearTimeout(timer) };
}
