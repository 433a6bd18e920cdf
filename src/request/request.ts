import type { DurinProxyTrust } from '../config/trustProxy.js';
import { UNKNOWN_IP, USER_AGENT_MAX_LENGTH, type RequestFacts } from '../core/requestFacts.js';
import { clientIp } from './clientIp.js';

/**
 * Reads what durin needs from any adapter's context options: the `Authorization`
 * header, the client IP and a way to set response headers. Standalone, express, fastify and
 * next pass `{ req, res }` with node-style `req.headers`; fetch passes `{ req: Request, resHeaders }`;
 * tests and custom servers may pass `{ headers }` with a `Headers` or a plain record.
 */

type HeaderRecord = Record<string, string | string[] | undefined>;
interface HeadersLike {
  get(name: string): string | null;
}

/** The options `createDurinContext` accepts: any adapter's, or `{ headers }`. */
export type DurinContextOptions =
  | {
      req: {
        headers: HeaderRecord | HeadersLike;
        socket?: { remoteAddress?: string | undefined } | null | undefined;
        ip?: string | undefined;
      };
      res?: unknown;
      resHeaders?: (HeadersLike & { set(name: string, value: string): void }) | undefined;
      info?: unknown;
      /** The caller's IP, for adapters without a socket (fetch): `{ ...opts, ip }`. */
      ip?: string | undefined;
    }
  | {
      headers: HeaderRecord | HeadersLike;
      /** The caller's IP, when the server knows it. */
      ip?: string | undefined;
      resHeaders?: (HeadersLike & { set(name: string, value: string): void }) | undefined;
    };

function userAgentOf(headers: HeaderRecord | HeadersLike): string | null {
  const value = readHeader(headers, 'user-agent');
  return value ? value.slice(0, USER_AGENT_MAX_LENGTH) : null;
}

function isHeadersLike(headers: unknown): headers is HeadersLike {
  return typeof (headers as HeadersLike).get === 'function';
}

function readHeader(headers: HeaderRecord | HeadersLike, name: string): string | undefined {
  if (isHeadersLike(headers)) return headers.get(name) ?? undefined;
  const value = headers[name] ?? findCaseInsensitive(headers, name);
  return Array.isArray(value) ? value[0] : value;
}

function findCaseInsensitive(headers: HeaderRecord, name: string): string | string[] | undefined {
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === name) return headers[key];
  }
  return undefined;
}

const ignoreHeader = () => {};

function headerSetter(opts: Record<string, unknown>): (name: string, value: string) => void {
  const resHeaders = opts.resHeaders as { set?: unknown } | undefined;
  if (resHeaders && typeof resHeaders.set === 'function') {
    return (name, value) => (resHeaders.set as (n: string, v: string) => void).call(resHeaders, name, value);
  }
  const res = opts.res as Record<string, unknown> | undefined;
  if (res) {
    // node's ServerResponse and express: setHeader; fastify's reply: header().
    if (typeof res.setHeader === 'function') {
      return (name, value) => {
        if (!res.headersSent) (res.setHeader as (n: string, v: string) => void).call(res, name, value);
      };
    }
    if (typeof res.header === 'function') {
      return (name, value) => (res.header as (n: string, v: string) => void).call(res, name, value);
    }
  }
  return ignoreHeader;
}

function headerAppender(opts: Record<string, unknown>): (name: string, value: string) => void {
  const resHeaders = opts.resHeaders as { append?: unknown } | undefined;
  if (resHeaders && typeof resHeaders.append === 'function') {
    return (name, value) => (resHeaders.append as (n: string, v: string) => void).call(resHeaders, name, value);
  }
  const res = opts.res as Record<string, unknown> | undefined;
  if (res && typeof res.setHeader === 'function' && typeof res.getHeader === 'function') {
    // node's ServerResponse and express: keep what is already set, as node sends an array as repeated headers.
    return (name, value) => {
      if (res.headersSent) return;
      const current = (res.getHeader as (n: string) => unknown).call(res, name);
      const values = current === undefined ? [value] : [...(Array.isArray(current) ? current : [String(current)]), value];
      (res.setHeader as (n: string, v: string[]) => void).call(res, name, values);
    };
  }
  // fastify's reply.header() appends set-cookie itself; other names are replaced, as with setHeader.
  return headerSetter(opts);
}

type RequestLike = { method?: unknown; url?: unknown; socket?: { encrypted?: unknown } | null };

/** scheme + Host for node requests; the URL's origin for fetch's `Request`. */
function ownOriginOf(req: RequestLike | undefined, headers: HeaderRecord | HeadersLike): () => string | undefined {
  return () => {
    if (typeof req?.url === 'string' && /^https?:\/\//i.test(req.url)) return new URL(req.url).origin;
    const host = readHeader(headers, 'host');
    if (!host) return undefined;
    return `${req?.socket?.encrypted ? 'https' : 'http'}://${host.toLowerCase()}`;
  };
}

/** Every `X-Forwarded-For` header, joined as node joins repeated ones. */
function forwardedFor(headers: HeaderRecord | HeadersLike): string | undefined {
  if (isHeadersLike(headers)) return headers.get('x-forwarded-for') ?? undefined;
  const value = headers['x-forwarded-for'] ?? findCaseInsensitive(headers, 'x-forwarded-for');
  return Array.isArray(value) ? value.join(', ') : value;
}

/** What `authorization` reads when a request carries more than one Authorization header. */
export const AMBIGUOUS_HEADER = '\u0000ambiguous';

/**
 * node keeps the first of repeated Authorization headers in `req.headers`, while a proxy in front
 * may have acted on the last: such a request is ambiguous. `rawHeaders` shows every repeat.
 */
function repeatsAuthorization(req: unknown): boolean {
  // node, express and the ws upgrade: `req.rawHeaders`; fastify: `req.raw.rawHeaders`.
  const node = req as { rawHeaders?: unknown; raw?: { rawHeaders?: unknown } } | undefined;
  const raw = node?.rawHeaders ?? node?.raw?.rawHeaders;
  if (!Array.isArray(raw)) return false;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    if (typeof raw[i] === 'string' && (raw[i] as string).length === 13 && (raw[i] as string).toLowerCase() === 'authorization') seen++;
  }
  return seen > 1;
}

export function readRequest(options: DurinContextOptions, trustProxy: DurinProxyTrust | false): RequestFacts {
  const opts = options as Record<string, unknown>;
  const req = opts.req as { headers: HeaderRecord | HeadersLike; socket?: { remoteAddress?: string }; ip?: string } | undefined;
  const headers = req?.headers ?? (opts.headers as HeaderRecord | HeadersLike | undefined) ?? {};
  // An explicit `ip` wins (fetch has no socket); then the socket's; then the framework's `req.ip`.
  const socketIp = (typeof opts.ip === 'string' ? opts.ip : undefined) ?? req?.socket?.remoteAddress ?? req?.ip;
  // trustProxy decides which X-Forwarded-For entry is the client's (proxy-addr's walk).
  const ip = clientIp(socketIp, trustProxy ? forwardedFor(headers) : undefined, trustProxy) || UNKNOWN_IP;
  return {
    authorization: repeatsAuthorization(req) ? AMBIGUOUS_HEADER : readHeader(headers, 'authorization'),
    ip,
    setHeader: headerSetter(opts),
    userAgent: userAgentOf(headers),
    appendHeader: headerAppender(opts),
    header: (name) => readHeader(headers, name),
    method:
      typeof (req as RequestLike | undefined)?.method === 'string' ? ((req as RequestLike).method as string).toUpperCase() : undefined,
    ownOrigin: ownOriginOf(req as RequestLike | undefined, headers),
  };
}
