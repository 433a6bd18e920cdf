import proxyaddr from 'proxy-addr';

/**
 * The `trustProxy` setting compiled once at start-up into a trust function (proxy-addr's
 * vocabulary, as express uses it). The request layer walks `X-Forwarded-For` with it.
 */

/** Whether the address `hop` steps from the server (0 = the socket's peer) is a trusted proxy. */
export type DurinProxyTrust = (address: string, hop: number) => boolean;

/** What the `trustProxy` setting accepts. */
export type DurinTrustProxySetting = boolean | number | string | readonly string[];

const trustAll: DurinProxyTrust = () => true;

/** The trust function for a `trustProxy` value, `false` for none, or `null` when the value is invalid. */
export function compileTrustProxy(value: unknown): DurinProxyTrust | false | null {
  if (value === false) return false;
  if (value === true) return trustAll;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) return null;
    return value === 0 ? false : (_address, hop) => hop < value;
  }
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 64)) return null;
  try {
    return proxyaddr.compile(list as string[]);
  } catch {
    return null;
  }
}
