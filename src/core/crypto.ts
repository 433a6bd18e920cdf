import { hash, randomBytes } from 'node:crypto';
import { MAX_TOKEN_LENGTH } from '../config/tokenLimits.js';

/**
 * Token strings and their digests. Pure: no database, no request.
 * Only the SHA-256 digest of a token is ever stored; the plaintext exists once, in the response
 * that issues it.
 */

/** Characters of the checksum a new token ends with (a CRC-32 in lowercase hex). */
export const CHECKSUM_LENGTH = 8;

/**
 * `prefix` + `characterLength` lowercase hex characters from `crypto.randomBytes`, then, with
 * `checksum`, the 8-character CRC-32 of all of that (as GitHub's and npm's tokens carry one).
 */
export function generateToken(prefix: string, characterLength: number, checksum = false): string {
  const body = prefix + randomBytes(characterLength / 2).toString('hex');
  return checksum ? body + crc32Hex(body) : body;
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

// CRC-32 (IEEE 802.3, the one zlib, PNG and GitHub's tokens use) with the usual 256-entry table.
// `zlib.crc32` exists only from Node 20.15, and it would first turn the string into bytes; tokens
// are printable ASCII, so each char code is its byte and this reads the string in place.
const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32 of the first `end` characters of an ASCII string, as an unsigned 32-bit integer. */
export function crc32Ascii(text: string, end = text.length): number {
  let crc = -1;
  for (let i = 0; i < end; i++) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

const HEX = '0123456789abcdef';

function crc32Hex(text: string): string {
  return crc32Ascii(text).toString(16).padStart(CHECKSUM_LENGTH, '0');
}

/** True for '0'-'9' and 'a'-'f' (the lowercase hex a token body is made of). */
const isLowerHex = (code: number) => (code >= 48 && code <= 57) || (code >= 97 && code <= 102);

/** What a token's shape says before any query. */
export type TokenShape =
  /** prefix + body + a matching checksum: the format new tokens have. */
  | 'wellFormed'
  /** The shape of a checksummed token, but the checksum does not match: mistyped or forged. */
  | 'badChecksum'
  /** Any other shape: a token from before checksums (or imported), or garbage. */
  | 'other';

/**
 * Classifies `token` against the format `prefix` + `characterLength` lowercase hex + checksum.
 * No allocation: the hot path runs it on every request with a token, a cache hit included.
 */
export function tokenShape(token: string, prefix: string, characterLength: number): TokenShape {
  const end = prefix.length + characterLength;
  if (token.length !== end + CHECKSUM_LENGTH || !token.startsWith(prefix)) return 'other';
  for (let i = prefix.length; i < token.length; i++) if (!isLowerHex(token.charCodeAt(i))) return 'other';
  const crc = crc32Ascii(token, end);
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    if (token.charCodeAt(end + i) !== HEX.charCodeAt((crc >>> (28 - 4 * i)) & 15)) return 'badChecksum';
  }
  return 'wellFormed';
}
