import * as zlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { resolveSettings } from '../../src/config/settings.js';
import { CHECKSUM_LENGTH, crc32Ascii, generateToken, tokenShape } from '../../src/core/crypto.js';
import { createTokenScreen, createWellFormedCheck, tokenStart } from '../../src/core/tokenFormat.js';

describe('checksummed tokens', () => {
  test('CRC-32 is the IEEE one zlib computes', () => {
    expect(crc32Ascii('123456789')).toBe(0xcbf43926);
    expect(crc32Ascii('')).toBe(0);
    const zlibCrc = (zlib as unknown as { crc32?: (data: string) => number }).crc32;
    if (zlibCrc) for (const text of ['drn_abc', generateToken('drn_', 64)]) expect(crc32Ascii(text)).toBe(zlibCrc(text));
  });

  test('a new token ends with the lowercase hex CRC-32 of what precedes it', () => {
    const token = generateToken('drn_', 64, true);
    expect(token).toMatch(/^drn_[0-9a-f]{72}$/);
    const body = token.slice(0, -CHECKSUM_LENGTH);
    expect(token.slice(-CHECKSUM_LENGTH)).toBe(crc32Ascii(body).toString(16).padStart(8, '0'));
    expect(tokenShape(token, 'drn_', 64)).toBe('wellFormed');
    expect(generateToken('', 32)).toMatch(/^[0-9a-f]{32}$/);
  });

  test('one changed character fails the checksum; other shapes are not checksummed at all', () => {
    const token = generateToken('drn_', 64, true);
    const last = token.at(-1) === '0' ? '1' : '0';
    expect(tokenShape(token.slice(0, -1) + last, 'drn_', 64)).toBe('badChecksum');
    const flipped = token.slice(0, 10) + (token[10] === 'a' ? 'b' : 'a') + token.slice(11);
    expect(tokenShape(flipped, 'drn_', 64)).toBe('badChecksum');
    expect(tokenShape(generateToken('drn_', 64), 'drn_', 64)).toBe('other'); // a token from before checksums
    expect(tokenShape(token.toUpperCase(), 'drn_', 64)).toBe('other');
    expect(tokenShape(token, 'xyz_', 64)).toBe('other');
  });

  test('the screen refuses bad checksums always, and legacy tokens only when told to', () => {
    const legacy = generateToken('', 64);
    const fresh = generateToken('', 64, true);
    const forged = fresh.slice(0, -8) + (fresh.endsWith('00000000') ? '11111111' : '00000000');
    const lenient = createTokenScreen(resolveSettings({}));
    expect([lenient(fresh), lenient(legacy), lenient(forged)]).toEqual([true, true, false]);
    const strict = createTokenScreen(resolveSettings({ acceptLegacyTokens: false }));
    expect([strict(fresh), strict(legacy), strict(forged), strict('garbage')]).toEqual([true, false, false, false]);
  });

  test('isWellFormedToken and start', () => {
    const isWellFormed = createWellFormedCheck(resolveSettings({ tokenPrefix: 'drn_' }));
    const token = generateToken('drn_', 64, true);
    expect(isWellFormed(token)).toBe(true);
    expect(isWellFormed(token.slice(4))).toBe(false);
    expect(isWellFormed(42 as unknown as string)).toBe(false);
    expect(tokenStart(token, 'drn_')).toBe(token.slice(4, 12));
  });
});
