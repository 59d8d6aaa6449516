import proxyaddr from 'proxy-addr';
import type { Socket } from 'socket.io';
import type { RequestOrigin } from '../ports.ts';

/** Express's compiled TRUST_PROXY decision (`app.get('trust proxy fn')`). */
export type TrustProxy = (address: string, hop: number) => boolean;

/**
 * Who is on the other end of a socket, decided exactly as Express decides `req.ip`: walk
 * X-Forwarded-For from the nearest hop while the hop is trusted. Taking the first entry blindly
 * would let a client behind an appending proxy claim any address.
 */
export function socketOrigin(socket: Pick<Socket, 'handshake'>, trustProxy: TrustProxy): RequestOrigin {
  const { address, headers } = socket.handshake;
  const ip = proxyaddr({ connection: { remoteAddress: address }, headers } as unknown as Parameters<typeof proxyaddr>[0], trustProxy);
  return { ip: ip || address, userAgent: String(headers['user-agent'] ?? '').slice(0, 256) };
}
