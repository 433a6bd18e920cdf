import { EventEmitter } from 'node:events';
import type { DurinComponent } from './bus.js';
import type { DurinAuthToken } from '../models/types.js';

/**
 * durin's signals as a typed, EventEmitter-compatible object. Listeners run
 * synchronously, right after the database write they describe. A listener that throws never
 * interrupts or half-undoes that operation: its error is emitted as `listenerError`, or written
 * to `console.error` when nothing listens to that.
 */

/** Why tokens were revoked, as `tokenRevoked` reports it. */
export type DurinRevokeReason =
  | 'logout'
  | 'logoutAll'
  | 'sessionRevoked'
  | 'apiAccessRevoked'
  | 'apiKeyRevoked'
  | 'rotated'
  | 'removeExpired'
  | 'clientDeleted'
  | 'adminRevoked'
  | 'revoked';

/** What an administrator did: `durin.admin` and the admin router report every change. */
export type DurinAdminActionName = 'clients.create' | 'clients.update' | 'clients.delete' | 'tokens.revoke' | 'users.revokeAll';

/** One entry of an audit log: who, what, on what. */
export interface DurinAdminAction {
  /** The administrator's user id; `null` when the CLI acted (an operator at a terminal). */
  readonly actorId: unknown;
  readonly action: DurinAdminActionName;
  /** What it acted on: a client's name, a token's id, a user's id (as text). */
  readonly target: string;
}

export interface DurinEventMap<TUser = unknown> {
  /** A token was issued: a first login on a client, a rotation, `tokens.issue`, `apiAccess.create`. */
  tokenCreated: [{ auth: DurinAuthToken<TUser>; user: TUser }];
  /** `refresh` moved a token's expiry (durin's `token_renewed`); also a `renewOnUse` renewal. */
  tokenRenewed: [{ auth: DurinAuthToken<TUser>; newExpiry: Date }];
  /** An expired token was presented and deleted (durin's `token_expired`). */
  tokenExpired: [{ userId: unknown; clientName: string }];
  /** Tokens stopped working. Other processes call `cache.invalidate(hash)` for each digest. */
  tokenRevoked: [{ tokenHashes: string[]; reason: DurinRevokeReason }];
  /** `login` succeeded. */
  userLoggedIn: [{ user: TUser; auth: DurinAuthToken<TUser> }];
  /** `logout` or `logoutAll` succeeded. */
  userLoggedOut: [{ user: TUser; all: boolean }];
  /** A shared component lost its backend: once per outage; durin goes on in a fallback mode. */
  degraded: [{ component: DurinComponent; error: unknown }];
  /** That component has its backend back. */
  recovered: [{ component: DurinComponent }];
  /** An administrator changed a client or revoked tokens; emitted after the write, for an audit log. */
  adminAction: [DurinAdminAction];
  /** A listener of `event` threw; the operation that fired it went on regardless. */
  listenerError: [{ event: string; error: unknown }];
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

/** An emitter whose `emit` calls every listener even when one throws, and reports what they threw. */
class DurinEmitter extends EventEmitter {
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const listeners = this.rawListeners(event) as Array<(...a: unknown[]) => unknown>;
    if (listeners.length === 0) return false;
    for (const listener of listeners) {
      try {
        listener.apply(this, args);
      } catch (error) {
        this.reportListenerError(String(event), error);
      }
    }
    return true;
  }

  reportListenerError(event: string, error: unknown): void {
    if (event !== 'listenerError' && this.listenerCount('listenerError') > 0) {
      this.emit('listenerError', { event, error });
      return;
    }
    console.error(`trpc-durin: a "${event}" listener threw:`, error);
  }
}

export function createDurinEvents<TUser>(): DurinEvents<TUser> {
  return new DurinEmitter() as unknown as DurinEvents<TUser>;
}

/** Reports an error thrown by code durin calls back (a listener of the liveness hub, say). */
export function reportListenerError(events: DurinEvents<unknown>, event: string, error: unknown): void {
  (events as unknown as DurinEmitter).reportListenerError(event, error);
}
