import type { DurinAuthToken } from '../models/types.js';
import { isExpired } from './time.js';

/** How a token shows in the user's list of sessions: by id, never a token or digest. */
export interface DurinSession {
  id: number;
  /** The client's name. */
  client: string;
  created: Date;
  expiry: Date;
  hasExpired: boolean;
  /** True for the token this request came with. */
  isCurrent: boolean;
  /** The name given at login ("Firefox on Linux"), or null. */
  name: string | null;
  /** When the token was last used (recorded at most once per `lastUsedUpdateInterval`), or null. */
  lastUsedAt: Date | null;
  /** The client IP of that use, or null. */
  lastIp: string | null;
  /** The User-Agent of that use, or null. */
  userAgent: string | null;
}

/** What `revokeSession` found: the caller's own token is refused, another user's reads as not found. */
export type DurinSessionRevocation = 'revoked' | 'current' | 'notFound';

/** One row of the list, seen from the token `currentId` (its `isCurrent`). */
export function sessionView(row: DurinAuthToken, currentId: unknown): DurinSession {
  return {
    id: Number(row.id),
    client: row.client.name,
    created: row.created,
    expiry: row.expiry,
    hasExpired: isExpired(row.expiry),
    isCurrent: Number(row.id) === Number(currentId),
    name: row.name ?? null,
    lastUsedAt: row.lastUsedAt ?? null,
    lastIp: row.lastIp ?? null,
    userAgent: row.userAgent ?? null,
  };
}
