import type { DurinErrorId } from '../errors.js';
import type { DurinAuthToken } from '../models/types.js';

/**
 * The outcome of checking a token, as plain data: the request path produces it, and the
 * subscription code (which sits below the request path) reads it to end a stream.
 */

/** A verified token: the user and the AuthToken with `client` loaded. */
export interface Verified<TUser> {
  readonly user: TUser;
  readonly auth: DurinAuthToken<TUser>;
}

/** The outcome of checking one digest (the header rules' steps 4–7: lookup, expiry, active user). Database errors are thrown, never folded in. */
export type Verification<TUser> =
  { readonly ok: true; readonly value: Verified<TUser> } | { readonly ok: false; readonly error: DurinErrorId };

/** Why verification failed: a token problem, or the backend (then `cause` is the database error). */
export interface DurinFailure {
  readonly error: DurinErrorId;
  readonly cause?: unknown;
  /** THROTTLED (too many invalid tokens from this IP): seconds until a token is looked up again. */
  readonly retryAfter?: number;
}
