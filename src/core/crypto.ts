import { hash, randomBytes } from 'node:crypto';
import { MAX_TOKEN_LENGTH } from '../config/tokenLimits.js';

/**
 * Token strings and their digests. Pure: no database, no request.
 * Only the SHA-256 digest of a token is ever stored; the plaintext exists once, in the response
 * that issues it.
 */

/** `prefix` + `characterLength` lowercase hex characters from `crypto.randomBytes`. */
export function generateToken(prefix: string, characterLength: number): string {
  return prefix + randomBytes(characterLength / 2).toString('hex');
}

// `crypto.hash` (Node 20.12+, hence `engines`) is the one-shot form: no Hash object per call, about
// twice as fast for a token-sized input, and every request hashes its token (a cache hit included).

/** SHA-256 of the whole token (prefix included), as 64 lowercase hex characters. */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/** True when `token` could have been issued by this package: printable ASCII, not overlong. */
export function isPlausibleToken(token: string): boolean {
  return token.length <= MAX_TOKEN_LENGTH && PRINTABLE_ASCII.test(token);
}
