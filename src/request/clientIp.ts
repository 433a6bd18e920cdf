import { isIP } from 'node:net';
import type { DurinProxyTrust } from '../config/trustProxy.js';

/**
 * The client IP behind `trustProxy`, in express's vocabulary (`proxy-addr`): `false`
 * trusts no proxy (the socket's address), a hop count trusts that many proxies nearest the server,
 * a list of addresses/CIDRs/names ("loopback", "linklocal", "uniquelocal") trusts those, and `true`
 * trusts every hop (the leftmost `X-Forwarded-For` entry, which the client writes: spoofable).
 * The address is the first one, walking from the socket towards the client, that is not trusted.
 */

const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** One spelling per address: IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is IPv4, IPv6 is lowercase. */
export function normalizeIp(address: string): string {
  const mapped = MAPPED_IPV4.exec(address);
  if (mapped) return mapped[1]!;
  return isIP(address) === 6 ? address.toLowerCase() : address;
}

/** Most `X-Forwarded-For` entries looked at: no deployment has more proxies than this. */
const MAX_HOPS = 32;

/**
 * The client address: `socketIp` when no proxy is trusted, else the first untrusted address of
 * [socket, ...X-Forwarded-For from right to left]. Without a socket address (fetch), the peer is
 * taken to be the trusted proxy the deployment says is there.
 */
export function clientIp(
  socketIp: string | undefined,
  forwardedFor: string | undefined,
  trust: DurinProxyTrust | false,
): string | undefined {
  if (!trust || !forwardedFor) return socketIp === undefined ? undefined : normalizeIp(socketIp);
  if (socketIp !== undefined && !trust(normalizeIp(socketIp), 0)) return normalizeIp(socketIp);
  const entries = forwardedFor.split(',');
  let address = socketIp;
  for (let hop = 1, i = entries.length - 1; i >= 0 && hop <= MAX_HOPS; i--, hop++) {
    const entry = entries[i]!.trim();
    if (!entry) break;
    address = normalizeIp(entry);
    if (!trust(address, hop)) return address;
  }
  return address === undefined ? undefined : normalizeIp(address);
}
