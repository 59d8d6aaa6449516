// @ts-check
/**
 * Reads `#a=1&b=2` from the address bar and removes the fragment, so secrets (a hub key, a
 * pairing code) do not linger in the URL, the history entry or a screenshot.
 */
export function takeFragment() {
  const raw = location.hash.startsWith('#') ? location.hash.slice(1) : '';
  const params = new URLSearchParams(raw);
  if (raw) history.replaceState(history.state, '', location.pathname + location.search);
  return params;
}
