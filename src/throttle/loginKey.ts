import { hashToken } from '../core/crypto.js';

/**
 * The username as the login throttle counts it. An app's
 * `findOne({ where: { username } })` logs in every spelling its column's collation equates with
 * the real name; counted apart, each spelling would get a fresh budget. MariaDB's and MySQL's
 * utf8mb4 collations equate case, accents, compatibility forms (ﬁ, ａ, ĳ), ignorable characters
 * (zero-width, NUL and other controls), trailing spaces, and, depending on the collation, ß/ẞ = ss,
 * ø = o, æ = ae, œ = oe, đ = d, ł = l, ħ = h, ı = i. The fold below equates at least all of those
 * (test/regression/issue-8-login-fold.test.ts checks it against every collation the server has);
 * folding more only makes look-alike names share one budget, which is the safe side.
 */

const LETTERS: Readonly<Record<string, string>> = {
  ß: 'ss',
  ø: 'o',
  æ: 'ae',
  œ: 'oe',
  đ: 'd',
  ð: 'd',
  ł: 'l',
  ħ: 'h',
  ı: 'i',
  ŧ: 't',
  þ: 'th',
  ĸ: 'k',
};
const SPECIAL_LETTERS = new RegExp(`[${Object.keys(LETTERS).join('')}]`, 'gu');
// Marks (accents), format characters (zero-width, soft hyphen, BOM) and controls (NUL...).
const IGNORABLE = /[\p{M}\p{Cf}\p{Cc}]+/gu;
const SPACES = /\s+/gu;

export function foldLoginName(username: string): string {
  return username
    .toLowerCase()
    .normalize('NFKD')
    .replace(IGNORABLE, '')
    .replace(SPECIAL_LETTERS, (letter) => LETTERS[letter]!)
    .replace(SPACES, ' ')
    .trim();
}

/** Longest throttle key stored as is; a longer one is stored as its SHA-256 (bounded memory per key). */
export const MAX_THROTTLE_KEY_LENGTH = 200;

/** A throttle key of bounded length: long ones (an 8 KB forwarded address, a long folded name) are hashed. */
export function boundedKey(key: string): string {
  return key.length <= MAX_THROTTLE_KEY_LENGTH ? key : `throttle_sha256_${hashToken(key)}`;
}
