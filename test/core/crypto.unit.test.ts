import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { generateToken, hashToken, isPlausibleToken } from '../../src/core/crypto.js';
import { MAX_TOKEN_LENGTH } from '../../src/config/tokenLimits.js';

describe('crypto', () => {
  test('generateToken: prefix + lowercase hex of the given length, never twice the same', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => generateToken('drn_', 64)));
    expect(tokens.size).toBe(100);
    for (const token of tokens) expect(token).toMatch(/^drn_[0-9a-f]{64}$/);
    expect(generateToken('', 32)).toMatch(/^[0-9a-f]{32}$/);
  });

  test('hashToken is SHA-256 hex of the whole token', () => {
    expect(hashToken('drn_abc')).toBe(createHash('sha256').update('drn_abc').digest('hex'));
    expect(hashToken('x')).toHaveLength(64);
  });

  test('isPlausibleToken refuses overlong and non-printable input', () => {
    expect(isPlausibleToken('a'.repeat(MAX_TOKEN_LENGTH))).toBe(true);
    expect(isPlausibleToken('a'.repeat(MAX_TOKEN_LENGTH + 1))).toBe(false);
    expect(isPlausibleToken('abc\u0000')).toBe(false);
    expect(isPlausibleToken('abcé')).toBe(false);
    expect(isPlausibleToken('')).toBe(false);
  });
});
