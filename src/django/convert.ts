import { hashToken, isPlausibleToken } from '../core/crypto.js';
import { parseRate } from '../config/rate.js';
import { DJANGO_ROW_PROBLEMS as PROBLEMS } from './messages.js';

/**
 * One django-rest-durin row into one trpc-durin row, or the reason the target schema
 * cannot hold it. Pure: the reading and writing are in copy.ts.
 */

/** A `durin_client` row as copy.ts reads it: ids and the TTL cast to text, so no BIGINT loses digits. */
export interface DjangoClientRow {
  readonly id: string;
  readonly name: string;
  /** Django's DurationField: integer microseconds. */
  readonly token_ttl: string;
  readonly throttle_rate: string;
}

export interface DjangoTokenRow {
  readonly id: string;
  /** The plaintext token. */
  readonly token: string;
  /** Naive UTC text: `YYYY-MM-DD HH:MM:SS[.ffffff]`. */
  readonly created: string;
  readonly expiry: string;
  readonly client_id: string;
  readonly user_id: unknown;
}

export interface ConvertedClient {
  readonly row: { id: string; name: string; token_ttl: number; throttle_rate: string };
  /** Set when the TTL was not a whole number of seconds and was rounded up. */
  readonly roundedFromMicroseconds?: string;
}

export interface ConvertedToken {
  readonly id: string;
  readonly token_hash: string;
  readonly created: Date;
  readonly expiry: Date;
  readonly client_id: string;
  readonly user_id: unknown;
}

export type Converted<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

const MICROSECONDS_PER_SECOND = 1_000_000n;
const MAX_NAME_LENGTH = 64;

/** Microseconds → whole seconds, rounding up, so no token ends sooner than Django would have ended it. */
export function ttlSeconds(microseconds: bigint): bigint {
  return (microseconds + MICROSECONDS_PER_SECOND - 1n) / MICROSECONDS_PER_SECOND;
}

export function convertClient(row: DjangoClientRow): Converted<ConvertedClient> {
  // VARCHAR(64) counts characters (code points), not UTF-16 units.
  const length = [...row.name].length;
  if (length > MAX_NAME_LENGTH) return { ok: false, problem: PROBLEMS.nameTooLong(row.id, length) };
  if (row.throttle_rate !== '' && parseRate(row.throttle_rate) === null) {
    return { ok: false, problem: PROBLEMS.badRate(row.id, row.throttle_rate) };
  }
  const microseconds = /^\d{1,19}$/.test(row.token_ttl) ? BigInt(row.token_ttl) : 0n;
  if (microseconds <= 0n) return { ok: false, problem: PROBLEMS.badTtl(row.id, row.token_ttl) };
  const seconds = ttlSeconds(microseconds);
  const value = { row: { id: row.id, name: row.name, token_ttl: Number(seconds), throttle_rate: row.throttle_rate } };
  const whole = microseconds % MICROSECONDS_PER_SECOND === 0n;
  return { ok: true, value: whole ? value : { ...value, roundedFromMicroseconds: row.token_ttl } };
}

const DATETIME = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;

/**
 * Django's naive UTC datetime text, with or without a fraction (SQLite omits it when the
 * microseconds are zero), to a Date: to the millisecond, the microseconds below it dropped.
 */
export function parseDjangoDatetime(text: string): Date | null {
  const match = DATETIME.exec(text.trim());
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const milliseconds = Math.floor(Number((match[7] ?? '0').padEnd(6, '0')) / 1000);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, milliseconds));
  // Date.UTC rolls 2026-02-30 over into March: refuse what is not a calendar date.
  return date.getUTCDate() === day && date.getUTCMonth() === month - 1 && date.getUTCHours() === hour ? date : null;
}

export function convertToken(row: DjangoTokenRow): Converted<ConvertedToken> {
  if (typeof row.token !== 'string' || !isPlausibleToken(row.token)) return { ok: false, problem: PROBLEMS.badToken(row.id) };
  const created = parseDjangoDatetime(String(row.created));
  if (!created) return { ok: false, problem: PROBLEMS.badDate(row.id, 'created') };
  const expiry = parseDjangoDatetime(String(row.expiry));
  if (!expiry) return { ok: false, problem: PROBLEMS.badDate(row.id, 'expiry') };
  return {
    ok: true,
    value: { id: row.id, token_hash: hashToken(row.token), created, expiry, client_id: row.client_id, user_id: row.user_id },
  };
}
