import { DURIN_WEBSOCKET_CLOSE_CODE, getDurinCode, type DurinErrorCode, type DurinErrorId } from '../errors.js';

/**
 * What a WebSocket or SSE connection brings instead of headers. Browsers cannot set
 * headers on either, so tRPC's `wsLink` and `httpSubscriptionLink` send `connectionParams`, which
 * the adapters hand to `createContext` as `info.connectionParams`.
 */

/** Longest `connectionParams.authorization` read: far above any valid token (every input is bounded). */
const MAX_AUTHORIZATION_LENGTH = 1024;

/** `connectionParams.authorization`: absent, a value to parse like the header, or malformed. */
export type ConnectionAuthorization =
  | { readonly kind: 'absent' }
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'failed'; readonly error: DurinErrorId };

const ABSENT: ConnectionAuthorization = Object.freeze({ kind: 'absent' });

/** Reads `info.connectionParams.authorization` from any adapter's options (ws, or HTTP for SSE). */
export function readConnectionAuthorization(options: unknown): ConnectionAuthorization {
  const info = (options as { info?: { connectionParams?: unknown } | null }).info;
  const params = info?.connectionParams;
  if (params === null || params === undefined || typeof params !== 'object') return ABSENT;
  const value = (params as Record<string, unknown>).authorization ?? (params as Record<string, unknown>).Authorization;
  if (value === undefined || value === null) return ABSENT;
  // Not the `Token <key>` text a header carries: malformed, in the header's words.
  if (typeof value !== 'string') return { kind: 'failed', error: 'HEADER_NO_CREDENTIALS' };
  // Overlong input is refused before any work, as an overlong token is.
  if (value.length > MAX_AUTHORIZATION_LENGTH) return { kind: 'failed', error: 'TOKEN_INVALID' };
  return { kind: 'value', value };
}

/**
 * Whether the options are the ws adapter's (`res` is the `ws` socket): its context is made once
 * per connection, so each protected operation on it verifies the token again.
 */
export function isWebSocketOptions(options: unknown): boolean {
  const res = (options as { res?: unknown }).res as { ping?: unknown; terminate?: unknown; readyState?: unknown } | null | undefined;
  return !!res && typeof res.ping === 'function' && typeof res.terminate === 'function' && typeof res.readyState === 'number';
}

/**
 * Whether `connectionParams` may carry the token here: only where tRPC has no other way to send
 * one, a WebSocket (its first message) or an SSE subscription (the URL of an EventSource). On any
 * other request a token in the URL would authenticate from where access logs and proxies keep it.
 */
export function acceptsConnectionParams(options: unknown): boolean {
  if (isWebSocketOptions(options)) return true;
  const info = (options as { info?: { type?: unknown } | null }).info;
  return info?.type === 'subscription';
}

/** What a refused token reads as: the header or token was wrong, not missing, and not an outage. */
const REFUSALS: ReadonlySet<DurinErrorCode> = new Set(['HEADER_MALFORMED', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'USER_INACTIVE']);

/** The close reason is at most 123 bytes in the WebSocket protocol (`ws` throws past it). */
const MAX_CLOSE_REASON_BYTES = 123;

const WEBSOCKET_OPEN = 1;

interface ClosableSocket {
  readonly readyState: number;
  close(code: number, reason: string): void;
}

/**
 * For a WebSocket connection: a function that, given the error a protected operation failed with,
 * closes the connection when that error refused its token, after the adapter has answered the
 * operation. A connection that keeps a refused token would otherwise stay open for as long as the
 * peer likes. An anonymous caller is not refused (it may log in over the connection), and a backend
 * failure is transient, so neither closes it. `undefined` for any other transport.
 */
export function refusedConnectionCloser(options: unknown): ((error: unknown) => void) | undefined {
  if (!isWebSocketOptions(options)) return undefined;
  const socket = (options as { res: Partial<ClosableSocket> }).res;
  if (typeof socket.close !== 'function') return undefined;
  const closable = socket as ClosableSocket;
  let closing = false;
  return (error) => {
    const code = getDurinCode(error);
    if (closing || code === null || !REFUSALS.has(code)) return;
    closing = true;
    const message = error instanceof Error ? error.message : '';
    const reason = Buffer.byteLength(message) <= MAX_CLOSE_REASON_BYTES ? message : '';
    // tRPC's ws adapter sends the operation's error once it has come back up the middleware chain
    // (promise callbacks, no I/O), and drops every reply once closing starts: closing on the next
    // turn of the event loop lets that error go out first, and the close frame follows it.
    setImmediate(() => {
      if (closable.readyState === WEBSOCKET_OPEN) closable.close(DURIN_WEBSOCKET_CLOSE_CODE, reason);
    });
  };
}
