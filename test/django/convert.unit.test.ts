import { describe, expect, test } from 'vitest';
import { convertClient, convertToken, parseDjangoDatetime, ttlSeconds } from '../../src/django/convert.js';
import { hashToken } from '../../src/core/crypto.js';

/** One django-rest-durin row into one trpc-durin row, without a database. */

const client = (fields: Partial<Record<'name' | 'token_ttl' | 'throttle_rate', string>> = {}) =>
  convertClient({ id: '3', name: 'web', token_ttl: '86400000000', throttle_rate: '', ...fields });

const token = (fields: Partial<Record<'token' | 'created' | 'expiry', string>> = {}) =>
  convertToken({
    id: '5',
    token: 'ab'.repeat(32),
    created: '2026-12-01 18:32:51.457698',
    expiry: '2026-12-02 18:32:51',
    client_id: '1',
    user_id: 2,
    ...fields,
  });

describe('Django datetimes', () => {
  test('with and without the fraction, to the millisecond', () => {
    expect(parseDjangoDatetime('2026-12-01 18:32:51.457698')?.toISOString()).toBe('2026-12-01T18:32:51.457Z');
    expect(parseDjangoDatetime('2020-01-01 00:00:00')?.toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect(parseDjangoDatetime('2020-01-01 00:00:00.5')?.toISOString()).toBe('2020-01-01T00:00:00.500Z');
    expect(parseDjangoDatetime('2020-01-01 00:00:00.000999')?.toISOString()).toBe('2020-01-01T00:00:00.000Z');
  });

  test('anything else is not a datetime', () => {
    for (const bad of ['', '2020-01-01', '2020-02-30 00:00:00', '2020-01-01 24:00:00', '2020-01-01 00:00:00+01:00', 'yesterday']) {
      expect(parseDjangoDatetime(bad)).toBeNull();
    }
  });
});

describe('clients', () => {
  test('TTLs: microseconds to seconds, rounded up and reported', () => {
    expect(ttlSeconds(86_400_000_000n)).toBe(86_400n);
    expect(ttlSeconds(90_500_000n)).toBe(91n);
    expect(ttlSeconds(1n)).toBe(1n);
    expect(client()).toEqual({ ok: true, value: { row: { id: '3', name: 'web', token_ttl: 86_400, throttle_rate: '' } } });
    expect(client({ token_ttl: '90500000' })).toMatchObject({
      ok: true,
      value: { row: { token_ttl: 91 }, roundedFromMicroseconds: '90500000' },
    });
  });

  test('rows the target cannot hold', () => {
    expect(client({ name: 'é'.repeat(64) }).ok).toBe(true); // characters, not bytes
    expect(client({ name: 'x'.repeat(65) })).toEqual({ ok: false, problem: 'durin_client id 3: name is 65 characters (at most 64)' });
    expect(client({ throttle_rate: '100/h' }).ok).toBe(true);
    expect(client({ throttle_rate: '0/h' })).toEqual({ ok: false, problem: 'durin_client id 3: throttle_rate "0/h" is not a rate' });
    expect(client({ token_ttl: '0' })).toEqual({ ok: false, problem: 'durin_client id 3: token_ttl 0 µs is not a positive duration' });
    expect(client({ token_ttl: '-5' }).ok).toBe(false);
  });
});

describe('tokens', () => {
  test('the digest replaces the plaintext', () => {
    const converted = token();
    expect(converted).toEqual({
      ok: true,
      value: {
        id: '5',
        token_hash: hashToken('ab'.repeat(32)),
        created: new Date('2026-12-01T18:32:51.457Z'),
        expiry: new Date('2026-12-02T18:32:51.000Z'),
        client_id: '1',
        user_id: 2,
      },
    });
    expect(JSON.stringify(converted)).not.toContain('ab'.repeat(32));
  });

  test('a token that could never authenticate, or a bad date, is named without its value', () => {
    const problem = 'durin_authtoken id 5: the token is empty, overlong or not printable, so it could never authenticate';
    for (const bad of ['', 'has space', 'x'.repeat(273)]) expect(token({ token: bad })).toEqual({ ok: false, problem });
    expect(token({ expiry: 'soon' })).toEqual({ ok: false, problem: 'durin_authtoken id 5: expiry is not a datetime' });
  });
});
