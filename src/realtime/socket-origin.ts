import type { Socket } from 'socket.io';
import type { RequestOrigin } from '../ports.ts';

/**
 * Who is on the other end of a socket. Behind a trusted proxy the first X-Forwarded-For hop is
 * the client; the trust decision is the same TRUST_PROXY setting Express uses.
 */
export function socketOrigin(socket: Socket, trustProxy: boolean): RequestOrigin {
  const forwarded = trustProxy ? String(socket.handshake.headers['x-forwarded-for'] ?? '').split(',')[0]?.trim() : '';
  return {
    ip: forwarded || socket.handshake.address,
    userAgent: String(socket.handshake.headers['user-agent'] ?? '').slice(0, 256),
  };
}
