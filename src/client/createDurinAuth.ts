import type { Operation, TRPCLink } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import { clientDuration } from './duration.js';
import {
  memoryStorage,
  readStored,
  writeStored,
  type DurinAuthState,
  type DurinAuthStorage,
  type DurinSignOutReason,
  type StoredSession,
} from './state.js';

/**
 * What every tRPC app writes by hand around a durin token, as one link: keep what `login`
 * answers, attach it to HTTP and WebSocket requests, renew it before it expires (one refresh for
 * every operation waiting), forget it when the server says it is gone, wait out a throttled query
 * once, and keep other tabs and an open WebSocket in step.
 */

export type { DurinAuthState, DurinAuthStorage, DurinSignOutReason } from './state.js';

export interface DurinAuthOptions {
  /** Where the session is kept; `localStorage` shares it with other tabs. @default memory (this page only) */
  storage?: DurinAuthStorage | undefined;
  /** Where durin's router is mounted in the app's router. @default "auth" */
  routerPath?: string | undefined;
  /** An operation that starts this close to the expiry first runs one `refresh`. Seconds or "5m". @default "5m" */
  renewBefore?: number | string | undefined;
  /** The longest `Retry-After` a throttled query waits out before its one retry. Seconds or "10s". @default "10s" */
  maxRetryAfter?: number | string | undefined;
  /** The storage key (and the tab channel's name). @default "trpc-durin" */
  storageKey?: string | undefined;
  /** The word before the token in `Authorization`, as the server's `authHeaderPrefix`. @default "Token" */
  authHeaderPrefix?: string | undefined;
}

/** The part of tRPC's WebSocket client that `attach` uses. */
export interface DurinAttachableWsClient {
  close(): unknown;
}

export interface DurinAuth {
  /** The link to put first in the client's links. */
  link<TRouter extends AnyTRPCRouter>(): TRPCLink<TRouter>;
  /** For `httpBatchLink({ headers })`: `Authorization` when a token is held (nothing in cookie mode). */
  headers(): Record<string, string>;
  /** For `createWSClient({ connectionParams })` and `httpSubscriptionLink`: the same, as connection params. */
  connectionParams(): Record<string, string>;
  /** Calls `listener` on every sign-in, renewal and sign-out; returns the unsubscribe. */
  onChange(listener: (state: DurinAuthState) => void): () => void;
  /** Reconnects `wsClient` whenever the session changes, so the socket authenticates as the page does. */
  attach(wsClient: DurinAttachableWsClient): () => void;
  /** The current state. */
  readonly state: DurinAuthState;
  /** Forgets the session here (and in other tabs) without calling the server. */
  signOut(reason?: DurinSignOutReason): void;
  /** Stops listening to other tabs. */
  close(): void;
}

/** The durin codes after which the session is gone for good. */
const GONE = new Set<string>(['TOKEN_INVALID', 'TOKEN_EXPIRED', 'USER_INACTIVE']);

interface ErrorLike {
  data?: { code?: string; durinCode?: string; retryAfter?: unknown } | null;
  meta?: { response?: { headers?: { get?(name: string): string | null } } };
  retryAfter?: number;
}

/** Seconds from `data.retryAfter` (durinErrorFormatter), else the response's Retry-After header. */
function retryAfterOf(error: ErrorLike): number | undefined {
  if (error.data?.code !== 'TOO_MANY_REQUESTS') return undefined;
  if (typeof error.data.retryAfter === 'number') return error.data.retryAfter;
  const header = error.meta?.response?.headers?.get?.('retry-after');
  const seconds = header ? Number(header) : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

const SIGNED_OUT: DurinAuthState = Object.freeze({ status: 'signedOut' });

export function createDurinAuth(options: DurinAuthOptions = {}): DurinAuth {
  const storage = options.storage ?? memoryStorage();
  const key = options.storageKey ?? 'trpc-durin';
  const routerPath = options.routerPath ?? 'auth';
  const renewBeforeMs = clientDuration('renewBefore', options.renewBefore ?? '5m') * 1000;
  const maxRetryAfter = clientDuration('maxRetryAfter', options.maxRetryAfter ?? '10s');
  const prefix = options.authHeaderPrefix ?? 'Token';
  const paths = {
    login: `${routerPath}.login`,
    refresh: `${routerPath}.refresh`,
    logout: `${routerPath}.logout`,
    logoutAll: `${routerPath}.logoutAll`,
  };
  const ownPaths = new Set(Object.values(paths));

  let session: StoredSession | null = readStored(storage, key, Date.now());
  let state: DurinAuthState = session ? { status: 'signedIn', expiry: session.expiry } : SIGNED_OUT;
  const listeners = new Set<(state: DurinAuthState) => void>();
  const sockets = new Set<DurinAttachableWsClient>();
  let renewing: Promise<void> | null = null;
  let nextOwnId = -1;

  // Other tabs: BroadcastChannel where there is one (Node has it too), `storage` events in browsers.
  const channel = options.storage && typeof BroadcastChannel === 'function' ? new BroadcastChannel(`trpc-durin:${key}`) : null;
  (channel as { unref?: () => void } | null)?.unref?.();
  const onOtherTab = () => apply(readStored(storage, key, Date.now()), { reason: 'logout', announce: false });
  channel?.addEventListener('message', onOtherTab);
  const onStorage = (event: Event) => {
    if ((event as Event & { key?: string | null }).key === key) onOtherTab();
  };
  const windowLike = globalThis as {
    addEventListener?: (type: string, listener: (event: Event) => void) => void;
    removeEventListener?: (type: string, listener: (event: Event) => void) => void;
  };
  if (options.storage) windowLike.addEventListener?.('storage', onStorage);

  /** Makes `next` the session; tells listeners, sockets and (when `announce`) other tabs. */
  function apply(next: StoredSession | null, how: { reason: DurinSignOutReason; announce: boolean }): void {
    const before = session;
    session = next;
    if (how.announce) {
      writeStored(storage, key, next);
      channel?.postMessage('changed');
    }
    const identityChanged = (before === null) !== (next === null) || before?.token !== next?.token;
    if (!identityChanged && before?.expiry.getTime() === next?.expiry.getTime()) return;
    state = next ? { status: 'signedIn', expiry: next.expiry } : before ? { status: 'signedOut', reason: how.reason } : state;
    for (const listener of [...listeners]) listener(state);
    if (identityChanged) for (const ws of sockets) reconnect(ws);
  }

  function reconnect(ws: DurinAttachableWsClient): void {
    // tRPC's client reopens a socket the server asked it to reconnect, connection params read anew;
    // that is the path used here, the open socket serving requests until the new one is ready.
    const reconnectable = ws as unknown as { reconnect?: (closedError: null) => void };
    if (typeof reconnectable.reconnect === 'function') reconnectable.reconnect(null);
  }

  const signOut = (reason: DurinSignOutReason = 'logout') => apply(null, { reason, announce: true });

  function afterData(path: string, data: unknown): void {
    const body = (data ?? {}) as { token?: unknown; expiry?: unknown };
    if (path === paths.login || path === paths.refresh) {
      const expiry = new Date(body.expiry as string | number | Date);
      if (Number.isNaN(expiry.getTime())) return;
      const token = path === paths.login ? (typeof body.token === 'string' ? body.token : null) : (session?.token ?? null);
      apply({ token, expiry }, { reason: 'logout', announce: true });
    } else if (path === paths.logout || path === paths.logoutAll) {
      signOut(path === paths.logout ? 'logout' : 'logoutAll');
    }
  }

  function afterError(path: string, error: ErrorLike): void {
    const durinCode = error.data?.durinCode;
    // A failed login says nothing about the session held (it may be another user's attempt).
    if (path === paths.login || error.data?.code !== 'UNAUTHORIZED' || !durinCode || !GONE.has(durinCode)) return;
    if (session) signOut(durinCode as DurinSignOutReason);
  }

  const needsRenewal = (path: string) => !ownPaths.has(path) && session !== null && session.expiry.getTime() - Date.now() <= renewBeforeMs;

  /** One refresh for every operation that starts near the expiry. */
  function renew(next: (op: Operation) => ReturnType<Parameters<ReturnType<TRPCLink<AnyTRPCRouter>>>[0]['next']>): Promise<void> {
    renewing ??= new Promise<void>((resolve) => {
      const op: Operation = { id: nextOwnId--, type: 'mutation', path: paths.refresh, input: undefined, context: {}, signal: null };
      next(op).subscribe({
        next: (envelope) => {
          if (envelope.result.type === 'data' || envelope.result.type === undefined) afterData(paths.refresh, envelope.result.data);
        },
        error: (error) => {
          afterError(paths.refresh, error as ErrorLike);
          resolve();
        },
        complete: () => resolve(),
      });
    }).finally(() => {
      renewing = null;
    });
    return renewing;
  }

  function link<TRouter extends AnyTRPCRouter>(): TRPCLink<TRouter> {
    return () =>
      ({ op, next }) =>
        observable((observer) => {
          let subscription: Unsubscribable | undefined;
          let timer: ReturnType<typeof setTimeout> | undefined;
          let stopped = false;
          const run = (attempt: number) => {
            if (stopped) return;
            subscription = next(op).subscribe({
              next(envelope) {
                const result = envelope.result as { type?: string; data?: unknown };
                if (result.type === 'data' || result.type === undefined) afterData(op.path, result.data);
                observer.next(envelope);
              },
              error(error) {
                const seconds = retryAfterOf(error as ErrorLike);
                if (seconds !== undefined) (error as ErrorLike).retryAfter = seconds;
                afterError(op.path, error as ErrorLike);
                // A query is safe to send again; a mutation may have done its work before the refusal.
                if (seconds !== undefined && op.type === 'query' && attempt === 0 && seconds <= maxRetryAfter) {
                  timer = setTimeout(() => run(1), seconds * 1000);
                  return;
                }
                observer.error(error);
              },
              complete() {
                observer.complete();
              },
            });
          };
          if (needsRenewal(op.path)) void renew(next as never).then(() => run(0));
          else run(0);
          return () => {
            stopped = true;
            if (timer) clearTimeout(timer);
            subscription?.unsubscribe();
          };
        });
  }

  const authorization = (): Record<string, string> => (session?.token ? { authorization: `${prefix} ${session.token}` } : {});

  return {
    link,
    headers: authorization,
    connectionParams: authorization,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    attach(ws) {
      sockets.add(ws);
      return () => sockets.delete(ws);
    },
    get state() {
      return state;
    },
    signOut,
    close() {
      channel?.close();
      windowLike.removeEventListener?.('storage', onStorage);
      listeners.clear();
      sockets.clear();
    },
  };
}
