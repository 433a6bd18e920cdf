/**
 * A stream that yields `read()` now and again after every change (what `sessions.watch` streams).
 * Changes that arrive while a read is under way are folded into one more read, so a burst of
 * revocations costs one query, not one per change. An iterator by hand, so `return()` (the
 * client's unsubscribe, or the token's end) frees the listener at once, even while it waits.
 */
export interface ChangeFeedOptions<T> {
  /** The current state (one query). */
  read: () => Promise<T>;
  /** Starts listening for changes; returns the unsubscribe. */
  listen: (changed: () => void) => () => void;
  /** tRPC's subscription signal: the feed ends when it aborts. */
  signal?: AbortSignal | undefined;
}

/** A stream of `read()`: once now, then once after each (burst of) change(s), until returned or aborted. */
export function changeFeed<T>(options: ChangeFeedOptions<T>): AsyncIterableIterator<T> {
  const { read, signal } = options;
  let dirty = true; // the first `next()` yields the state now
  let closed = false;
  let wake: (() => void) | null = null;
  const unlisten = options.listen(() => {
    dirty = true;
    wake?.();
  });
  const close = () => {
    if (closed) return;
    closed = true;
    unlisten();
    signal?.removeEventListener('abort', close);
    wake?.();
  };
  signal?.addEventListener('abort', close, { once: true });
  if (signal?.aborted) close();

  const feed: AsyncIterableIterator<T> = {
    async next() {
      while (!dirty && !closed) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      if (closed) return { done: true, value: undefined };
      dirty = false;
      try {
        return { done: false, value: await read() };
      } catch (error) {
        close();
        throw error;
      }
    },
    async return(value?: unknown) {
      close();
      return { done: true, value: value as T };
    },
    [Symbol.asyncIterator]() {
      return feed;
    },
  };
  return feed;
}
