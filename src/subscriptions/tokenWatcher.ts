import type { DurinFailure, Verification } from '../core/verification.js';
import type { DurinLivenessMessage, TokenLiveness } from '../core/liveness.js';
import { isExpired, now } from '../core/time.js';

/**
 * Who is told when a token stops working while something long-lived (a subscription) depends on
 * it. One entry per watched digest, shared by every subscription on that token: one
 * liveness listener and at most one timer (at the expiry), both freed with the last watcher.
 * Nothing here polls the database: the only query is the one at the expiry instant, which
 * decides as HTTP would ("The given token has expired.", the row deleted, `tokenExpired`), or
 * finds the token renewed meanwhile and waits for its new expiry.
 */

/** Told once, when the watched token stops working. */
export type TokenEnd = (failure: DurinFailure) => void;

export interface TokenWatcher {
  /** Watches a verified token until it stops working; returns the unwatch. */
  watch(auth: { readonly tokenHash: string; readonly expiry: Date }, onEnd: TokenEnd): () => void;
  /** Digests watched now, each with one liveness listener and one timer. */
  readonly watchedTokens: number;
  /** Watchers over all digests (open subscriptions). */
  readonly watchers: number;
  /** Drops every entry and timer without telling anyone (`durin.close()`). */
  close(): void;
}

export interface TokenWatcherDeps {
  readonly liveness: TokenLiveness;
  /** The uncached digest check, run once at the expiry instant. */
  readonly verify: (tokenHash: string) => Promise<Verification<unknown>>;
}

interface Entry {
  readonly tokenHash: string;
  expiry: number;
  timer: ReturnType<typeof setTimeout> | null;
  readonly ends: Set<TokenEnd>;
  unlisten: () => void;
  disposed: boolean;
}

// setTimeout's longest delay; a later expiry re-arms when it fires.
const MAX_DELAY = 2 ** 31 - 1;

/** The watcher of one durin instance (created in `createDurin`, cleared by `durin.close()`). */
export function createTokenWatcher(deps: TokenWatcherDeps): TokenWatcher {
  const { liveness, verify } = deps;
  const entries = new Map<string, Entry>();
  let watchers = 0;

  const dispose = (entry: Entry) => {
    if (entry.disposed) return;
    entry.disposed = true;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    entry.unlisten();
    watchers -= entry.ends.size;
    entry.ends.clear();
    entries.delete(entry.tokenHash);
  };

  const finish = (entry: Entry, failure: DurinFailure) => {
    const ends = [...entry.ends];
    dispose(entry);
    for (const end of ends) end(failure);
  };

  const atExpiry = (entry: Entry) => {
    entry.timer = null;
    if (!isExpired(new Date(entry.expiry))) return arm(entry);
    verify(entry.tokenHash).then(
      (result) => {
        if (entry.disposed) return;
        if (!result.ok) return finish(entry, { error: result.error });
        // Renewed where no message reached us (no bus): wait for the new expiry.
        entry.expiry = result.value.auth.expiry.getTime();
        arm(entry);
      },
      // Past its known expiry and no way to learn of a renewal: the stream ends, as a request would fail.
      (cause: unknown) => finish(entry, { error: 'AUTH_BACKEND_FAILED', cause }),
    );
  };

  function arm(entry: Entry): void {
    if (entry.timer) clearTimeout(entry.timer);
    // `isExpired` is strict (now > expiry): fire one millisecond after the expiry instant.
    const delay = Math.min(Math.max(entry.expiry - now() + 1, 0), MAX_DELAY);
    entry.timer = setTimeout(atExpiry, delay, entry);
    entry.timer.unref?.();
  }

  const onMessage = (entry: Entry, message: DurinLivenessMessage) => {
    // A token removed once past its expiry ended because it expired: the row goes when an expired
    // token is presented (here, at the expiry instant, or by a request in any process), and the
    // stream says so as that request does.
    if (message.type === 'revoked') finish(entry, { error: isExpired(new Date(entry.expiry)) ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID' });
    else if (message.type === 'renewed') {
      entry.expiry = message.expiry;
      arm(entry);
    }
  };

  return {
    watch(auth, onEnd) {
      let entry = entries.get(auth.tokenHash);
      if (!entry) {
        const created: Entry = {
          tokenHash: auth.tokenHash,
          expiry: auth.expiry.getTime(),
          timer: null,
          ends: new Set(),
          unlisten: () => {},
          disposed: false,
        };
        created.unlisten = liveness.watchToken(auth.tokenHash, (message) => onMessage(created, message));
        entries.set(auth.tokenHash, created);
        arm(created);
        entry = created;
      } else if (auth.expiry.getTime() > entry.expiry) {
        entry.expiry = auth.expiry.getTime();
        arm(entry);
      }
      // A distinct function per watch, so one subscription's unwatch never removes another's.
      const end: TokenEnd = (failure) => onEnd(failure);
      entry.ends.add(end);
      watchers++;
      const watched = entry;
      return () => {
        if (watched.disposed || !watched.ends.delete(end)) return;
        watchers--;
        if (watched.ends.size === 0) dispose(watched);
      };
    },
    get watchedTokens() {
      return entries.size;
    },
    get watchers() {
      return watchers;
    },
    close() {
      for (const entry of [...entries.values()]) dispose(entry);
    },
  };
}
