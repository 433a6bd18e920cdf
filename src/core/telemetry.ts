import { DURIN_ERRORS, type DurinErrorId } from '../errors.js';
import type { DurinComponent } from './bus.js';
import type { DurinRevokeReason } from './events.js';
import type { DurinTokenKind } from '../models/types.js';

/**
 * What durin reports about itself, as plain calls with no OpenTelemetry type in them: the core
 * never loads `@opentelemetry/api`, and `trpc-durin/otel` turns these calls into instruments and
 * spans. Every caller holds `telemetry ?? null` and skips the call when it is null, so an app that
 * passes no `telemetry` option pays one null check per request and nothing else.
 *
 * Nothing here ever carries a token, a digest, a password or an IP. A user id reaches spans only
 * (`user.id`), never a metric, whose labels stay low-cardinality.
 */

/** How the authentication of one request ended: the `outcome` label of `durin.auth.requests`. */
export type DurinAuthOutcome = 'ok' | 'anonymous' | 'invalid' | 'expired' | 'inactive' | 'malformed' | 'csrf' | 'error';

/**
 * Where the verification was answered: `hit` (the cache, no SQL), `miss` (the database, then
 * cached), `bypass` (the database because the cross-process bus is not healthy), `none` (the
 * uncached context, or no token to look up).
 */
export type DurinCacheUse = 'hit' | 'miss' | 'bypass' | 'none';

/** The counter a throttle decision was taken on: per (user, client), per IP, per login attempt, per IP for bad tokens. */
export type DurinThrottleScope = 'user_client' | 'anonymous' | 'login' | 'invalid_token';

/** The kind of an issued token: a login session, or an API key (the `apiAccessClientName` client). */
export type { DurinTokenKind };

/** The spans durin opens. */
export type DurinSpanName = 'durin.login' | 'durin.refresh' | 'durin.logout' | 'durin.revoke' | 'durin.authenticate';

/** What a span may carry: OpenTelemetry's `user.id` and `session.id` (the token row's id), and the client's name. */
export interface DurinSpanAttributes {
  'user.id'?: string;
  'session.id'?: string;
  'durin.client'?: string;
}

/** The span a traced function runs in: it may add attributes once it knows the user or the session. */
export interface DurinSpan {
  setAttributes(attributes: DurinSpanAttributes): void;
}

/** Live values durin exposes for the observable gauges, read at each collection. */
export interface DurinGaugeSources {
  /** Verified tokens held by the cache of `createCachedDurinContext`. */
  cacheEntries(): number;
  /** Open protected subscriptions watching their token. */
  openSubscriptions(): number;
}

/**
 * The telemetry contract `createDurin`'s `telemetry` option takes; `durinTelemetry()` from
 * `trpc-durin/otel` implements it with OpenTelemetry.
 * @see README "Observability"
 */
export interface DurinTelemetry {
  /** One request's authentication, settled (`durin.auth.requests`). `client` is the token's client name, or null. */
  authDecided(event: { outcome: DurinAuthOutcome; client: string | null; cache: DurinCacheUse }): void;
  /** How long one database lookup of a token took, in milliseconds (`durin.auth.lookup.duration`). */
  lookupDuration(ms: number): void;
  /** A throttle counted a request (`durin.throttle.decisions`). */
  throttleDecision(event: { scope: DurinThrottleScope; result: 'allowed' | 'throttled' }): void;
  /** A token was issued (`durin.tokens.issued`). */
  tokensIssued(event: { client: string; kind: DurinTokenKind }): void;
  /** Tokens stopped working (`durin.tokens.revoked`, by `count`). */
  tokensRevoked(event: { reason: DurinRevokeReason; count: number }): void;
  /** A shared component lost its backend; once per outage (`durin.degraded`). */
  degraded(event: { component: DurinComponent }): void;
  /** Runs `fn` inside a span named `name`, ended when `fn` settles (marked as an error when it throws). */
  span<T>(name: DurinSpanName, attributes: DurinSpanAttributes, fn: (span: DurinSpan) => Promise<T>): Promise<T>;
  /** Registers the gauges' sources; returns what stops observing them (called by `durin.close()`). */
  observe(sources: DurinGaugeSources): () => void;
}

/**
 * The one table from a refusal to its outcome, by the error's durin code: a new kind of refusal
 * gets its outcome here. Anything not listed is a
 * backend failure (`error`), so an outage never reads as a bad token.
 */
const OUTCOME_BY_CODE: Readonly<Record<string, DurinAuthOutcome>> = {
  HEADER_MALFORMED: 'malformed',
  TOKEN_INVALID: 'invalid',
  TOKEN_EXPIRED: 'expired',
  USER_INACTIVE: 'inactive',
  CSRF_FAILED: 'csrf',
};

/** The outcome of a request that carried no failure (`ok` when it was authenticated) or of one refusal. */
export function authOutcome(failure: DurinErrorId | null, authenticated: boolean): DurinAuthOutcome {
  if (failure === null) return authenticated ? 'ok' : 'anonymous';
  return OUTCOME_BY_CODE[DURIN_ERRORS[failure].durinCode] ?? 'error';
}

/** The span attributes of a token row: its user, its id, its client (when loaded). */
export function sessionAttributes(auth: { userId: unknown; id: unknown; client?: { name: string } | null }): DurinSpanAttributes {
  const attributes: DurinSpanAttributes = { 'user.id': String(auth.userId), 'session.id': String(auth.id) };
  if (auth.client) attributes['durin.client'] = auth.client.name;
  return attributes;
}

/**
 * A resolver run inside a span when telemetry is on, and as is when it is off. The span starts
 * with the caller's session (when the request is authenticated); the resolver may add the one it
 * creates (login's new token).
 */
export function traced<TOptions extends { ctx: { auth?: unknown } }, TResult>(
  telemetry: DurinTelemetry | null,
  name: DurinSpanName,
  resolver: (options: TOptions, span: DurinSpan | null) => Promise<TResult>,
): (options: TOptions) => Promise<TResult> {
  if (!telemetry) return (options) => resolver(options, null);
  return (options) => {
    const auth = options.ctx.auth as Parameters<typeof sessionAttributes>[0] | null | undefined;
    return telemetry.span(name, auth ? sessionAttributes(auth) : {}, (span) => resolver(options, span));
  };
}

/** `fn` timed into `lookupDuration`, whether it resolves or rejects. */
export function timedLookup<TArgs extends unknown[], TResult>(
  telemetry: DurinTelemetry,
  fn: (...args: TArgs) => Promise<TResult>,
): (...args: TArgs) => Promise<TResult> {
  return async (...args) => {
    const start = performance.now();
    try {
      return await fn(...args);
    } finally {
      telemetry.lookupDuration(performance.now() - start);
    }
  };
}
