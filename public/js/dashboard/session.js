// @ts-check
/**
 * The signed-in session in localStorage: access token, refresh token and when the access token
 * expires. Other tabs of the dashboard see changes through the `storage` event.
 */
const KEY = 'home-relay.session';
const listeners = new Set();

export function readSession() {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    return typeof value?.token === 'string' && typeof value?.refreshToken === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** Stores a token response (pairing claim, refresh, QR completion). */
export function saveTokens(response) {
  const lifetimeMs = response.expiresIn * 1000;
  const session = {
    token: response.token,
    refreshToken: response.refreshToken,
    grantId: response.grantId,
    serial: response.serial,
    issuedAt: Date.now(),
    expiresAt: Date.now() + lifetimeMs,
  };
  localStorage.setItem(KEY, JSON.stringify(session));
  for (const listener of listeners) listener(session);
  return session;
}

export function clearSession() {
  localStorage.removeItem(KEY);
  for (const listener of listeners) listener(null);
}

/** Called with the new session (or null) when this tab or another one changes it. */
export function onSessionChange(listener) {
  listeners.add(listener);
}

addEventListener('storage', (event) => {
  if (event.key !== KEY && event.key !== null) return;
  const session = readSession();
  for (const listener of listeners) listener(session);
});
