import type { ResolvedDurinSettings } from '../config/settings.js';
import { tokenShape } from './crypto.js';

/**
 * The token format as the settings define it: what may be looked up, and what is refused before
 * any query. A checksummed token whose checksum fails is always refused (it was mistyped or forged);
 * any other shape is looked up only while `acceptLegacyTokens` is on.
 */

type FormatSettings = Pick<ResolvedDurinSettings, 'tokenPrefix' | 'tokenCharacterLength' | 'acceptLegacyTokens'>;

/** True when `token` has the format new tokens have: prefix, hex body and a matching checksum. */
export function createWellFormedCheck(settings: FormatSettings): (token: string) => boolean {
  const { tokenPrefix, tokenCharacterLength } = settings;
  return (token) => typeof token === 'string' && tokenShape(token, tokenPrefix, tokenCharacterLength) === 'wellFormed';
}

/** True when `token` may be looked up; false refuses it as "Invalid token." with no query. */
export function createTokenScreen(settings: FormatSettings): (token: string) => boolean {
  const { tokenPrefix, tokenCharacterLength, acceptLegacyTokens } = settings;
  return (token) => {
    const shape = tokenShape(token, tokenPrefix, tokenCharacterLength);
    return shape === 'wellFormed' || (shape === 'other' && acceptLegacyTokens);
  };
}

/** An API key's `start`: its first 8 characters after the prefix, kept so a list can tell keys apart. */
export function tokenStart(token: string, prefix: string): string {
  return token.slice(prefix.length, prefix.length + 8);
}
