import { isIP } from 'node:net';
import proxyaddr from 'proxy-addr';
import { splitList } from '../text-list.ts';

/** proxy-addr's names for well-known ranges (each a set of addresses, not "everyone"). */
const namedRanges = new Set(['loopback', 'linklocal', 'uniquelocal']);

const advice = 'give the number of proxies in front of the relay (e.g. 1), or their addresses or subnets (e.g. loopback, 10.0.0.0/8)';

/**
 * TRUST_PROXY decides whose X-Forwarded-For entries are believed, and so every per-IP limit.
 * Only a hop count or a list of addresses/subnets is accepted: "true" (or a /0 subnet) would let
 * any client name its own address and walk past every per-IP limit. Returns the value for
 * Express's `trust proxy`, or the problem as a message.
 */
export function parseTrustProxy(raw: string): { value: number | readonly string[] } | string {
  const text = raw.trim();
  if (text === '' || text === 'false') return { value: 0 };
  if (/^\d+$/.test(text)) return { value: Number(text) };
  if (['true', 'yes', 'on', '*', 'all'].includes(text.toLowerCase())) {
    return `"${raw}" would believe X-Forwarded-For from anyone, so any client could pick its address; ${advice}`;
  }
  const entries = splitList(text);
  for (const entry of entries) {
    const problem = entryProblem(entry);
    if (problem) return `${problem}; ${advice}`;
  }
  try {
    proxyaddr.compile(entries);
  } catch (err) {
    return `${(err as Error).message}; ${advice}`;
  }
  return { value: Object.freeze(entries) };
}

function entryProblem(entry: string): string | null {
  if (namedRanges.has(entry)) return null;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return `"${entry}" is not an address, a subnet or one of ${[...namedRanges].join(', ')}`;
  if (prefix === undefined) return null;
  const bits = isIP(prefix) === 4 ? maskBits(prefix) : /^\d+$/.test(prefix) ? Number(prefix) : Number.NaN;
  const maxBits = family === 4 ? 32 : 128;
  if (!Number.isInteger(bits) || bits > maxBits) return `"${entry}" has an invalid prefix`;
  if (bits === 0) return `"${entry}" covers every address, which trusts everyone`;
  return null;
}

/** Prefix length of a dotted netmask such as 255.255.0.0 (NaN when not contiguous). */
function maskBits(mask: string): number {
  const bits = mask
    .split('.')
    .map((octet) => Number(octet).toString(2).padStart(8, '0'))
    .join('');
  return /^1*0*$/.test(bits) ? bits.indexOf('0') === -1 ? 32 : bits.indexOf('0') : Number.NaN;
}
