import { isObservable, observable, type Observable } from '@trpc/server/observable';
import type { DurinFailure } from '../core/verification.js';
import { durinError } from '../errors.js';
import type { TokenEnd } from './tokenWatcher.js';

/**
 * Makes a subscription's stream end with the token's failure: the `UNAUTHORIZED`
 * error the same token would get over HTTP, thrown from the stream so that tRPC sends it to the
 * client's `onError`, on WebSocket and SSE alike. The watch starts with the stream and is freed
 * when the stream ends for any reason (done, error, the client's unsubscribe, the token).
 */

/** Starts watching; returns the unwatch. */
export type StartWatch = (onEnd: TokenEnd) => () => void;

const failureError = (failure: DurinFailure) => durinError(failure.error, undefined, failure.cause);

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * An async iterator by hand rather than an async generator: a generator's `return()` waits for
 * the pending `next()`, which may wait for an event that never comes; this one ends at once. A
 * class with no await inside, so an open subscription costs one object, two promises and one
 * closure (STYLE: memory per subscription stays small).
 */
class EndingIterator<T> implements AsyncIterableIterator<T> {
  private readonly inner: AsyncIterator<T>;
  private failure: DurinFailure | null = null;
  private finished = false;
  private pending: { resolve(result: IteratorResult<T>): void; reject(error: unknown): void } | null = null;
  private unwatch: (() => void) | null;

  constructor(
    source: AsyncIterable<T>,
    startWatch: StartWatch,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.inner = source[Symbol.asyncIterator]();
    this.unwatch = startWatch((failure) => this.end(failure));
    // The client left (tRPC aborts the call's signal): free the watch even if no one calls return().
    signal?.addEventListener('abort', this, { once: true });
    if (signal?.aborted) this.handleEvent();
  }

  /** The token stopped working: the pending (or next) `next()` throws its error, once. */
  private end(failure: DurinFailure): void {
    this.finish(true);
    const pending = this.pending;
    this.pending = null;
    if (pending) pending.reject(failureError(failure));
    else this.failure = failure;
  }

  private finish(closeInner: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.unwatch?.();
    this.unwatch = null;
    this.signal?.removeEventListener('abort', this);
    // Not awaited: the source may be blocked in a `next()`; its own cleanup runs when it can.
    if (closeInner) void Promise.resolve(this.inner.return?.()).catch(() => {});
  }

  /** The abort listener (an EventListener object: no closure per subscription). */
  handleEvent(): void {
    this.close();
  }

  private close(): void {
    this.finish(true);
    const pending = this.pending;
    this.pending = null;
    pending?.resolve(DONE);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.failure) {
      const error = failureError(this.failure);
      this.failure = null; // thrown once; then the stream is simply done
      return Promise.reject(error);
    }
    if (this.finished) return Promise.resolve(DONE);
    return new Promise<IteratorResult<T>>((resolve, reject) => {
      const pending = { resolve, reject };
      this.pending = pending;
      this.inner.next().then(
        (result) => {
          if (this.pending !== pending) return; // ended meanwhile
          this.pending = null;
          if (result.done) this.finish(false);
          resolve(result);
        },
        (error: unknown) => {
          if (this.pending !== pending) return;
          this.pending = null;
          this.finish(false); // the source failed: its error goes to the client as without durin
          reject(error);
        },
      );
    });
  }

  return(value?: unknown): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ done: true, value: value as T });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.close();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
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
    return new EndingIterator(data as AsyncIterable<unknown>, startWatch, signal);
  }
  return data;
}
