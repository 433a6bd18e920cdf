/**
 * What durin keeps of a request once the adapter's options are read: plain data, so the token
 * lifecycle (usage recording, login's session metadata) can use it without knowing any adapter.
 */

/** Request facts durin keeps on the context. */
export interface RequestFacts {
  readonly authorization: string | undefined;
  readonly ip: string;
  /** Sets a response header through the adapter, when there is a response to set it on. */
  readonly setHeader: (name: string, value: string) => void;
  /** The `User-Agent` header, cut to `USER_AGENT_MAX_LENGTH` characters, or `null`. */
  readonly userAgent: string | null;
  /** Adds a response header without replacing one of the same name (`Set-Cookie` may be sent twice). */
  readonly appendHeader: (name: string, value: string) => void;
  /** Any request header (the first, when repeated), read only when asked: cookie sessions need a few. */
  readonly header: (name: string) => string | undefined;
  /** The request's method ("GET", "POST"...), or `undefined` when the adapter does not say. */
  readonly method: string | undefined;
  /** The origin the request was addressed to (scheme + `Host`), or `undefined` when unknown. */
  readonly ownOrigin: () => string | undefined;
}

/** The `user_agent` column's width: longer headers are truncated. */
export const USER_AGENT_MAX_LENGTH = 255;

/** What `ip` is when neither the adapter nor a trusted proxy tells it (throttles keyed by IP refuse it). */
export const UNKNOWN_IP = 'unknown';

/** `last_ip` is VARCHAR(45), the longest IPv6 text. */
const STORED_IP_MAX_LENGTH = 45;

/** The IP as a session stores it: `null` when unknown, never longer than its column. */
export function storableIp(ip: string): string | null {
  return ip === UNKNOWN_IP ? null : ip.slice(0, STORED_IP_MAX_LENGTH);
}
