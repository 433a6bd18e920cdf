/**
 * What the client keeps of a session: the token (header mode; never in cookie mode, where the
 * browser keeps it out of reach of the page) and the expiry. Stored as JSON under one key, so
 * other tabs sharing the storage read the same session.
 */

/** Why the client signed out. */
export type DurinSignOutReason = 'logout' | 'logoutAll' | 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'USER_INACTIVE';

/** What `onChange` listeners receive. */
export interface DurinAuthState {
  readonly status: 'signedIn' | 'signedOut';
  /** When the session expires (signed in only). */
  readonly expiry?: Date;
  /** Why the session ended (signed out after one only). */
  readonly reason?: DurinSignOutReason;
}

/** The subset of the Web Storage API the client uses (`localStorage`, `sessionStorage`, or your own). */
export interface DurinAuthStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface StoredSession {
  readonly token: string | null;
  readonly expiry: Date;
}

/** A session from storage, or null when absent, unreadable or already expired. */
export function readStored(storage: DurinAuthStorage, key: string, at: number): StoredSession | null {
  let text: string | null;
  try {
    text = storage.getItem(key);
  } catch {
    return null;
  }
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as { token?: unknown; expiry?: unknown };
    const expiry = new Date(typeof parsed.expiry === 'string' || typeof parsed.expiry === 'number' ? parsed.expiry : NaN);
    if (Number.isNaN(expiry.getTime()) || expiry.getTime() <= at) return null;
    return { token: typeof parsed.token === 'string' ? parsed.token : null, expiry };
  } catch {
    return null;
  }
}

export function writeStored(storage: DurinAuthStorage, key: string, session: StoredSession | null): void {
  try {
    if (session) storage.setItem(key, JSON.stringify({ token: session.token, expiry: session.expiry.toISOString() }));
    else storage.removeItem(key);
  } catch {
    // A full or blocked storage leaves this tab signed in from memory; nothing to report to the caller.
  }
}

/** A storage that lives as long as the page (the default: no other tab sees it). */
export function memoryStorage(): DurinAuthStorage {
  const values = new Map<string, string>();
  return {
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => void values.set(key, value),
    removeItem: (key) => void values.delete(key),
  };
}
