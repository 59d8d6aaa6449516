// @ts-check
/**
 * Emits an acknowledged event and resolves with the ack's `data`, or rejects with its
 * `{ code, message }` error (`timeout` when the relay does not answer).
 */
export async function request(socket, event, payload = {}, timeoutMs = 8000) {
  let reply;
  try {
    reply = await socket.timeout(timeoutMs).emitWithAck(event, payload);
  } catch {
    throw { code: socket.connected ? 'timeout' : 'network', message: 'No answer from the relay.' };
  }
  if (reply?.ok) return reply.data;
  throw reply?.error ?? { code: 'internal_error', message: 'Unexpected reply.' };
}

/** The code of a refused handshake (`connect_error`), or null for a network problem. */
export function refusalCode(err) {
  return typeof err?.data?.code === 'string' ? err.data.code : null;
}

/**
 * WebSocket first (one connection, no long-polling upgrade race, no need for sticky sessions
 * behind a load balancer), falling back to long-polling where WebSockets are blocked.
 */
export const transportOptions = { transports: ['websocket', 'polling'], tryAllTransports: true, reconnectionDelayMax: 10_000 };
