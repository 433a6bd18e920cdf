import { EventEmitter } from 'node:events';
import type { DurinAuthToken } from './models/types.js';

/**
 * durin's signals as a typed, EventEmitter-compatible object (DESIGN §3). Listeners run
 * synchronously, right after the database write they describe; an exception in a listener
 * propagates to the procedure that caused the event.
 */

/** Why tokens were revoked, as `tokenRevoked` reports it. */
export type DurinRevokeReason =
  | 'logout'
  | 'logoutAll'
  | 'sessionRevoked'
  | 'apiAccessRevoked'
  | 'rotated'
  | 'removeExpired'
  | 'clientDeleted'
  | 'revoked';

export interface DurinEventMap<TUser = unknown> {
  /** A token was issued: a first login on a client, a rotation, `tokens.issue`, `apiAccess.create`. */
  tokenCreated: [{ auth: DurinAuthToken<TUser>; user: TUser }];
  /** `refresh` moved a token's expiry (durin's `token_renewed`). */
  tokenRenewed: [{ auth: DurinAuthToken<TUser>; newExpiry: Date }];
  /** An expired token was presented and deleted (durin's `token_expired`). */
  tokenExpired: [{ userId: unknown; clientName: string }];
  /** Tokens stopped working. Other processes call `cache.invalidate(hash)` for each digest. */
  tokenRevoked: [{ tokenHashes: string[]; reason: DurinRevokeReason }];
  /** `login` succeeded. */
  userLoggedIn: [{ user: TUser; auth: DurinAuthToken<TUser> }];
  /** `logout` or `logoutAll` succeeded. */
  userLoggedOut: [{ user: TUser; all: boolean }];
}

type Listener<TArgs extends unknown[]> = (...args: TArgs) => void;

/** The typed subset of `EventEmitter` durin exposes as `durin.events`. */
export interface DurinEvents<TUser = unknown> {
  on<K extends keyof DurinEventMap<TUser>>(event: K, listener: Listener<DurinEventMap<TUser>[K]>): this;
  once<K extends keyof DurinEventMap<TUser>>(event: K, listener: Listener<DurinEventMap<TUser>[K]>): this;
  off<K extends keyof DurinEventMap<TUser>>(event: K, listener: Listener<DurinEventMap<TUser>[K]>): this;
  emit<K extends keyof DurinEventMap<TUser>>(event: K, ...args: DurinEventMap<TUser>[K]): boolean;
  listenerCount(event: keyof DurinEventMap<TUser>): number;
  removeAllListeners(event?: keyof DurinEventMap<TUser>): this;
}

export function createDurinEvents<TUser>(): DurinEvents<TUser> {
  return new EventEmitter() as unknown as DurinEvents<TUser>;
}
