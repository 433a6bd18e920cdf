import { durinError } from '../errors.js';
import { hashToken } from './crypto.js';

/**
 * The admin's token list pages by id. Its cursor is opaque to callers (base64url of JSON) and bound
 * to the filter it was issued for: the last id plus a digest of (filter, id). A cursor edited by
 * hand, cut short, or replayed with another filter is BAD_REQUEST, never a 500 and never a page of
 * another filter. There is no secret in the digest on purpose: every process of the app must accept
 * the cursor another process issued (pages behind a load balancer), and a forged cursor for the same
 * filter can only show a page the administrator may ask for anyway.
 */

const SIGNATURE_LENGTH = 16;

/** The filter as one string: `7` and `"7"` name the same user. */
export function tokenFilterKey(filter: { userId?: unknown; client?: unknown; kind?: unknown; expired?: unknown }): string {
  const userId = filter.userId === undefined ? null : String(filter.userId);
  return JSON.stringify([userId, filter.client ?? null, filter.kind ?? null, filter.expired ?? null]);
}

const signature = (id: number, filterKey: string) => hashToken(`durin-admin-cursor:${filterKey}:${id}`).slice(0, SIGNATURE_LENGTH);

export function encodeTokenCursor(id: number, filterKey: string): string {
  return Buffer.from(JSON.stringify([id, signature(id, filterKey)])).toString('base64url');
}

/** The last id of the previous page; throws ADMIN_CURSOR_INVALID for anything this filter did not issue. */
export function decodeTokenCursor(cursor: string, filterKey: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw durinError('ADMIN_CURSOR_INVALID');
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw durinError('ADMIN_CURSOR_INVALID');
  const [id, sig] = parsed as [unknown, unknown];
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1 || sig !== signature(id, filterKey)) {
    throw durinError('ADMIN_CURSOR_INVALID');
  }
  return id;
}
