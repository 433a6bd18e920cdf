import { isObservable, observable, type Observable } from '@trpc/server/observable';
import type { DurinFailure } from '../context.js';
import { durinError } from '../errors.js';
import type { TokenEnd } from './tokenWatcher.js';

/**
 * Makes a subscription's stream end with the token's failure (DESIGN §12): the `UNAUTHORIZED`
 * error the same token would get over HTTP, thrown from the stream so that tRPC sends it to the
 * client's `onError`, on WebSocket and SSE alike. The watch starts with the stream and is freed
 * when the stream ends for any reason (done, error, the client's unsubscribe, the token).
 */

/** Starts watching; returns the unwatch. */
export type StartWatch = (onEnd: TokenEnd) => () => void;

const failureError = (failure: DurinFailure) => durinError(failure.error, undefined, failure.cause);

type Wake = { readonly failure: DurinFailure } | { readonly closed: true };

/**
 * An async iterator by hand rather than an async generator: a generator's `return()` waits for
 * the pending `next()`, which may wait for an event that never comes; this one ends at once.
 */
function endIterable<T>(source: AsyncIterable<T>, startWatch: StartWatch, signal: AbortSignal | undefined): AsyncIterableIterator<T> {
  const inner = source[Symbol.asyncIterator]();
  let failure: DurinFailure | null = null;
  let finished = false;
  let wake: ((reason: Wake) => void) | null = null;
  let unwatch: (() => void) | null = null;

  const finish = (closeInner: boolean) => {
    if (finished) return;
    finished = true;
    unwatch?.();
    unwatch = null;
    signal?.removeEventListener('abort', onAbort);
    // Not awaited: the source may be blocked in a `next()`; its own cleanup runs when it can.
    if (closeInner) void Promise.resolve(inner.return?.()).catch(() => {});
  };

  // The client left (tRPC aborts the call's signal): free the watch even if no one calls return().
  function onAbort() {
    finish(true);
    wake?.({ closed: true });
  }
  unwatch = startWatch((reason) => {
    failure = reason;
    finish(true);
    wake?.({ failure: reason });
  });
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();

  const iterator: AsyncIterableIterator<T> = {
    async next() {
      if (failure) {
        const error = failureError(failure);
        failure = null; // thrown once; then the stream is simply done
        throw error;
      }
      if (finished) return { done: true, value: undefined };
      const stopped = new Promise<Wake>((resolve) => (wake = resolve));
      let step: Wake | { readonly result: IteratorResult<T> };
      try {
        step = await Promise.race([inner.next().then((result) => ({ result })), stopped]);
      } catch (error) {
        finish(false); // the source failed: its error goes to the client as it would without durin
        throw error;
      } finally {
        wake = null;
      }
      if ('failure' in step) return iterator.next();
      if ('closed' in step) return { done: true, value: undefined };
      if (step.result.done) finish(false);
      return step.result;
    },
    async return(value?: unknown) {
      finish(true);
      wake?.({ closed: true });
      return { done: true, value: value as T };
    },
    async throw(error?: unknown) {
      finish(true);
      wake?.({ closed: true });
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** tRPC still accepts observables from a subscription (deprecated in v11): the same, for them. */
function endObservable<T>(source: Observable<T, unknown>, startWatch: StartWatch): Observable<T, unknown> {
  return observable<T, unknown>((observer) => {
    const subscription = source.subscribe(observer);
    const unwatch = startWatch((failure) => {
      subscription.unsubscribe();
      observer.error(failureError(failure));
    });
    return () => {
      unwatch();
      subscription.unsubscribe();
    };
  });
}

/** Wraps what a subscription resolver returned; anything else is returned as is. */
export function endWithToken(data: unknown, startWatch: StartWatch, signal?: AbortSignal): unknown {
  if (isObservable(data)) return endObservable(data as Observable<unknown, unknown>, startWatch);
  if (data !== null && typeof data === 'object' && Symbol.asyncIterator in data) {
    return endIterable(data as AsyncIterable<unknown>, startWatch, signal);
  }
  return data;
}
