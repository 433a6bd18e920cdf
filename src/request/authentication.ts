import type { Model } from 'sequelize';
import { hashToken, isPlausibleToken } from '../core/crypto.js';
import type { DurinErrorHint, DurinErrorId } from '../errors.js';
import type { TokenLifecycle } from '../core/tokens.js';
import { withDeadline } from './lookupTimeout.js';
import { isExpired } from '../core/time.js';
import type { TokenLookup } from './lookup.js';
import type { Verification, Verified } from '../core/verification.js';

/**
 * TokenAuthentication: one guard clause per numbered step, in durin's order.
 * It decides and reports; the context keeps the outcome and the protected procedures throw.
 */

/** What the `Authorization` header says, before any query. */
export type ParsedHeader =
  | { readonly kind: 'anonymous'; readonly hint?: DurinErrorHint }
  | { readonly kind: 'failed'; readonly error: DurinErrorId }
  | { readonly kind: 'token'; readonly token: string };

const ANONYMOUS: ParsedHeader = Object.freeze({ kind: 'anonymous' });
// Still anonymous, as durin decides, but a protected procedure can say why: `Bearer x` is a
// common mistake where durin reads `Token x`.
const OTHER_SCHEME: ParsedHeader = Object.freeze({ kind: 'anonymous', hint: 'HEADER_SCHEME' });
// DRF splits the header with `bytes.split()`: runs of ASCII whitespace, ends trimmed. JS's `trim()`
// also strips U+00A0 and other Unicode spaces, which DRF keeps.
const ASCII_WHITESPACE = /[ \t\n\v\f\r]+/;
const ASCII_WORD = /^[\x21-\x7e]+$/;

/** ASCII space, \t, \n, \v, \f, \r: what Python's `bytes.split()` splits on. */
const isAsciiSpace = (code: number) => code === 32 || (code >= 9 && code <= 13);

/** `text` without leading and trailing ASCII whitespace (a scan, not a regex: linear on any input). */
function trimAscii(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isAsciiSpace(text.charCodeAt(start))) start++;
  while (end > start && isAsciiSpace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** True when `word` is `prefix` up to ASCII case (no Unicode folding: "\u212A" lowercases to "k"). */
function isPrefix(word: string, prefix: string): boolean {
  return word.length === prefix.length && ASCII_WORD.test(word) && word.toLowerCase() === prefix.toLowerCase();
}

export function parseAuthorizationHeader(header: string | null | undefined, prefix: string): ParsedHeader {
  if (!header) return ANONYMOUS;
  const parts = trimAscii(header).split(ASCII_WHITESPACE);
  // A header with another scheme is possibly for another backend: anonymous, never an error.
  if (!isPrefix(parts[0]!, prefix)) return OTHER_SCHEME;
  if (parts.length === 1) return { kind: 'failed', error: 'HEADER_NO_CREDENTIALS' };
  if (parts.length > 2) return { kind: 'failed', error: 'HEADER_HAS_SPACES' };
  return { kind: 'token', token: parts[1]! };
}

export type { Verification, Verified } from '../core/verification.js';

export interface Authenticator<TUser> {
  /** Steps 4–7 for a digest: one query, then expiry (the row expired through `tokens`) and the active check. */
  verifyDigest(tokenHash: string): Promise<Verification<TUser>>;
  /** True when a verified token is still usable now (the cache's check on a hit). */
  isStillValid(verified: Verified<TUser>): boolean;
}

export interface AuthenticatorDeps<TUser> {
  readonly lookup: TokenLookup<TUser>;
  /** Deletes and announces a token found expired: the one writer of token rows does it. */
  readonly tokens: Pick<TokenLifecycle<TUser>, 'expire'>;
  readonly isUserActive: (user: TUser) => boolean | Promise<boolean>;
  /** The `lookupTimeout` setting, in ms: a lookup not answered by then fails as AUTH_BACKEND_FAILED. */
  readonly lookupTimeoutMs?: number;
}

export function createAuthenticator<TUser extends Model>(deps: AuthenticatorDeps<TUser>): Authenticator<TUser> {
  const { tokens, isUserActive } = deps;
  const lookup = deps.lookupTimeoutMs ? withDeadline(deps.lookup, deps.lookupTimeoutMs) : deps.lookup;
  return {
    async verifyDigest(tokenHash) {
      const found = await lookup(tokenHash);
      if (!found) return { ok: false, error: 'TOKEN_INVALID' };
      const { auth, user } = found;
      if (isExpired(auth.expiry)) {
        await tokens.expire(auth);
        return { ok: false, error: 'TOKEN_EXPIRED' };
      }
      // A user the model would not return (a paranoid model's soft-deleted row) comes back as null.
      if (user === null || !(await isUserActive(user))) return { ok: false, error: 'USER_INACTIVE' };
      return { ok: true, value: { user, auth } };
    },
    isStillValid(verified) {
      return !isExpired(verified.auth.expiry);
    },
  };
}

/** Steps 1–4's pre-query part: the digest to look up, or the failure, or anonymity. */
export type TokenCandidate =
  | { readonly kind: 'anonymous'; readonly hint?: DurinErrorHint }
  | { readonly kind: 'failed'; readonly error: DurinErrorId }
  | { readonly kind: 'digest'; readonly tokenHash: string };

const REFUSED: TokenCandidate = Object.freeze({ kind: 'failed', error: 'TOKEN_INVALID' });

/**
 * Parses the header and refuses overlong or non-printable tokens before any query; `screen`
 * (the token format: a failing checksum, a legacy token when those are refused) may refuse more.
 */
export function tokenCandidate(header: string | null | undefined, prefix: string, screen?: (token: string) => boolean): TokenCandidate {
  const parsed = parseAuthorizationHeader(header, prefix);
  if (parsed.kind !== 'token') return parsed;
  if (!isPlausibleToken(parsed.token) || (screen && !screen(parsed.token))) return REFUSED;
  return { kind: 'digest', tokenHash: hashToken(parsed.token) };
}
