import type { Request } from 'express';
import type { Config } from '../config.ts';

/** `host` or `host:port`, host a DNS name, IPv4 or bracketed IPv6; anything else is not a host. */
const hostPattern = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/;

/** True when ALLOWED_HOSTS lists this Host header: as given, or its host part for a port-less entry. */
export function isAllowedHost(host: string, allowed: readonly string[]): boolean {
  const match = hostPattern.exec(host.toLowerCase());
  if (!match) return false;
  return allowed.some((entry) => entry === host.toLowerCase() || entry === match[1]);
}

/**
 * The origin of links that leave this relay (the QR code, approve links). A Host header is
 * whatever the client sent, so a link built from it could send a phone to an attacker's site:
 * PUBLIC_URL wins; a Host is believed only when ALLOWED_HOSTS lists it; otherwise the link
 * points at localhost on the port this relay is listening on (right for a relay on one machine).
 */
export function publicBaseUrl(req: Request, config: Pick<Config, 'publicUrl' | 'allowedHosts'>): string {
  return baseUrlFor({ host: req.get('host'), protocol: req.protocol, localPort: req.socket.localPort }, config);
}

/** The same decision for a socket handshake (a kiosk's guest invite) or a request. */
export function baseUrlFor(
  seen: { host: string | undefined; protocol: string; localPort: number | undefined },
  config: Pick<Config, 'publicUrl' | 'allowedHosts'>,
): string {
  if (config.publicUrl) return config.publicUrl;
  if (seen.host && isAllowedHost(seen.host, config.allowedHosts)) return `${seen.protocol}://${seen.host.toLowerCase()}`;
  return `http://localhost:${seen.localPort ?? 80}`;
}
