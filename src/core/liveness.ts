/**
 * One idea of "this token stopped working". Every change to a token's liveness made
 * in this process (a revocation of any reason, a renewal, a change to a user's set of tokens) is
 * reported here once, by `tokens.ts`'s funnel; the cache, the WebSocket connections, the open
 * subscriptions and the cross-process bus all listen here, instead of each keeping its own
 * listeners on `events`.
 *
 * A change that arrives from another process (through the bus) is `deliver`ed: it reaches every
 * local listener but is never published again, so two processes cannot echo a message forever.
 */

/** A change to tokens, as it travels between processes. Plain JSON: no Date, no instance. */
export type DurinLivenessMessage =
  /** These digests stopped working (any `tokenRevoked` reason, or an expiry found on use). */
  | { readonly type: 'revoked'; readonly tokenHashes: readonly string[] }
  /** This digest's expiry moved to `expiry` (ms since the epoch): `refresh`, `renewOnUse`. */
  | { readonly type: 'renewed'; readonly tokenHash: string; readonly expiry: number }
  /** The set or the state of this user's tokens changed (login, rotation, refresh, revocation). */
  | { readonly type: 'userChanged'; readonly userId: string };

export type LivenessListener = (message: DurinLivenessMessage) => void;

/** Where a process's liveness changes go out to other processes; durin calls only this. */
export interface LivenessPublisher {
  publish(message: DurinLivenessMessage): void;
}

export interface TokenLiveness {
  /** A change made in this process: delivered to every local listener, then to the bus. */
  publish(message: DurinLivenessMessage): void;
  /** A change made in another process (the bus calls this): local listeners only. */
  deliver(message: DurinLivenessMessage): void;
  /** Every message, local or remote (the cache). Returns the unsubscribe. */
  subscribe(listener: LivenessListener): () => void;
  /** Messages about one digest: `revoked` that names it, `renewed` of it. Returns the unsubscribe. */
  watchToken(tokenHash: string, listener: LivenessListener): () => void;
  /** `userChanged` messages about one user (`String(userId)`). Returns the unsubscribe. */
  watchUser(userId: string, listener: LivenessListener): () => void;
  /** How many listeners are registered, all kinds together (tests: nothing is left behind). */
  readonly listenerCount: number;
  /** Sets where local changes are published (the bus); `null` detaches it. */
  setPublisher(publisher: LivenessPublisher | null): void;
  /** Drops every listener (`durin.close()`). */
  clear(): void;
}

/** A listener that throws must not stop the others, nor the operation that reported the change. */
type ErrorSink = (error: unknown) => void;

export function createTokenLiveness(reportError: ErrorSink): TokenLiveness {
  const everything = new Set<LivenessListener>();
  const byToken = new Map<string, Set<LivenessListener>>();
  const byUser = new Map<string, Set<LivenessListener>>();
  let publisher: LivenessPublisher | null = null;
  let count = 0;

  const add = (map: Map<string, Set<LivenessListener>>, key: string, listener: LivenessListener) => {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    if (!set.has(listener)) {
      set.add(listener);
      count++;
    }
    return () => {
      const current = map.get(key);
      if (!current?.delete(listener)) return;
      count--;
      if (current.size === 0) map.delete(key);
    };
  };

  const call = (listener: LivenessListener, message: DurinLivenessMessage) => {
    try {
      listener(message);
    } catch (error) {
      reportError(error);
    }
  };

  const callAll = (set: Set<LivenessListener> | undefined, message: DurinLivenessMessage) => {
    // A copy: a listener may unsubscribe (or subscribe) while we walk the set.
    if (set) for (const listener of [...set]) call(listener, message);
  };

  const deliver = (message: DurinLivenessMessage) => {
    callAll(everything, message);
    switch (message.type) {
      case 'revoked':
        for (const tokenHash of message.tokenHashes) callAll(byToken.get(tokenHash), message);
        break;
      case 'renewed':
        callAll(byToken.get(message.tokenHash), message);
        break;
      case 'userChanged':
        callAll(byUser.get(message.userId), message);
        break;
    }
  };

  return {
    publish(message) {
      deliver(message);
      if (publisher) {
        try {
          publisher.publish(message);
        } catch (error) {
          reportError(error);
        }
      }
    },
    deliver,
    subscribe(listener) {
      if (!everything.has(listener)) {
        everything.add(listener);
        count++;
      }
      return () => {
        if (everything.delete(listener)) count--;
      };
    },
    watchToken: (tokenHash, listener) => add(byToken, tokenHash, listener),
    watchUser: (userId, listener) => add(byUser, userId, listener),
    get listenerCount() {
      return count;
    },
    setPublisher(next) {
      publisher = next;
    },
    clear() {
      everything.clear();
      byToken.clear();
      byUser.clear();
      count = 0;
    },
  };
}

// The names before every public type carried the `Durin` prefix, kept for one release.
/** @deprecated Use `DurinLivenessMessage`. */
export type LivenessMessage = DurinLivenessMessage;
