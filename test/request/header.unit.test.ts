import { describe, expect, test } from 'vitest';
import { parseAuthorizationHeader, tokenCandidate } from '../../src/request/authentication.js';

/** The header steps of TokenAuthentication, in durin's (DRF's) words. */
describe('parseAuthorizationHeader', () => {
  test.each([
    [undefined, { kind: 'anonymous' }],
    ['', { kind: 'anonymous' }],
    ['Bearer abc', { kind: 'anonymous', hint: 'HEADER_SCHEME' }],
    ['Baerer abc', { kind: 'anonymous', hint: 'HEADER_SCHEME' }],
    ['Token', { kind: 'failed', error: 'HEADER_NO_CREDENTIALS' }],
    ['  token  ', { kind: 'failed', error: 'HEADER_NO_CREDENTIALS' }],
    ['Token abc typo', { kind: 'failed', error: 'HEADER_HAS_SPACES' }],
    ['Token abc', { kind: 'token', token: 'abc' }],
    ['tOkEn \t abc ', { kind: 'token', token: 'abc' }],
  ])('%j → %o', (header, expected) => {
    expect(parseAuthorizationHeader(header, 'Token')).toEqual(expected);
  });

  test('a non-ASCII space is not a separator (DRF splits on ASCII whitespace)', () => {
    expect(parseAuthorizationHeader('Token a\u00a0b', 'Token')).toEqual({ kind: 'token', token: 'a\u00a0b' });
    expect(tokenCandidate('Token a\u00a0b', 'Token')).toEqual({ kind: 'failed', error: 'TOKEN_INVALID' });
  });
});

describe('only ASCII whitespace is trimmed', () => {
  const valid = 'a'.repeat(64);
  test.each([
    [`Token ${valid}\u00a0`, 'failed'],
    [`\u00a0Token ${valid}`, 'anonymous'],
    ['\u00a0Token x', 'anonymous'],
    [`\u2003Token ${valid}`, 'anonymous'],
    [`Token ${valid}\u3000`, 'failed'],
    [`To\u212Aen ${valid}`, 'anonymous'],
    [`\t Token ${valid} \r\n`, 'digest'],
  ])('%j → %s before any query', (header, kind) => {
    expect(tokenCandidate(header, 'Token').kind).toBe(kind);
  });
});

test('a header of 16 KB of inner spaces parses in one linear pass', () => {
  expect(parseAuthorizationHeader(`Token a${' '.repeat(16_000)}b`, 'Token')).toEqual({ kind: 'failed', error: 'HEADER_HAS_SPACES' });
  expect(parseAuthorizationHeader(`${' \t'.repeat(8000)}Token abc${'\r\n'.repeat(8000)}`, 'Token')).toEqual({
    kind: 'token',
    token: 'abc',
  });
});
