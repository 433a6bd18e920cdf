import { DURIN_INTERNAL_MESSAGES } from '../errors.js';
import { monotonicNow as now } from '../core/time.js';

/**
 * The bound on the token lookup (the `lookupTimeout` setting): with the database
 * frozen, a query on a pooled connection can hang for minutes, and every cached caller of an unseen
 * token waits on that one lookup. Past the timeout the lookup rejects, so the request fails as
 * AUTH_BACKEND_FAILED and memoizee (promise mode) keeps nothing.
 *
 * The hot path allocates no timer: lookups in flight sit in one insertion-ordered set (their
 * deadlines are in the same order, the timeout being one constant), and one unref'd interval,
 * running only while lookups are in flight, fails those past their deadline.
 */

/** Why a lookup failed: it did not answer within `lookupTimeout` (the `cause` of AUTH_BACKEND_FAILED). */
export class DurinLookupTimeoutError extends Error {
  override readonly name = 'DurinLookupTimeoutError';
}

interface Pending {
  readonly deadline: number;
  readonly reject: (error: Error) => void;
}

/** Wraps `lookup` so that a call not settled within `timeoutMs` rejects with `DurinLookupTimeoutError`. */
export function withDeadline<TArgs extends unknown[], TResult>(
  lookup: (...args: TArgs) => Promise<TResult>,
  timeoutMs: number,
): (...args: TArgs) => Promise<TResult> {
  const pending = new Set<Pending>();
  let timer: ReturnType<typeof setInterval> | null = null;
  const tick = Math.max(1, Math.min(250, Math.ceil(timeoutMs / 4)));

  const sweep = () => {
    const at = now();
    for (const entry of pending) {
      if (entry.deadline > at) break; // later entries have later deadlines
      pending.delete(entry);
      entry.reject(new DurinLookupTimeoutError(DURIN_INTERNAL_MESSAGES.lookupTimedOut(timeoutMs)));
    }
    if (pending.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };

  return function lookupWithDeadline(...args) {
    return new Promise<TResult>((resolve, reject) => {
      const entry: Pending = { deadline: now() + timeoutMs, reject };
      pending.add(entry);
      if (!timer) {
        timer = setInterval(sweep, tick);
        timer.unref?.();
      }
      lookup(...args).then(
        (value) => {
          pending.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          pending.delete(entry);
          reject(error);
        },
      );
    });
  };
}
