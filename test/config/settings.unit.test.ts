import { describe, expect, test } from 'vitest';
import { resolveSettings } from '../../src/config/settings.js';

/** defaults, parsing, and a start-up error naming the setting. */
describe('resolveSettings', () => {
  test('defaults are the settings table', () => {
    expect(resolveSettings({})).toEqual({
      defaultTokenTtl: 86_400,
      tokenCharacterLength: 64,
      tokenPrefix: '',
      authHeaderPrefix: 'Token',
      tokenCacheTimeout: 60,
      tokenCacheMax: 10_000,
      apiAccessClientName: null,
      apiAccessExcludeFromSessions: false,
      defaultThrottleRate: null,
      loginThrottleRate: { count: 10, seconds: 60, text: '10/m' },
      trustProxy: false,
      lookupTimeout: 5000,
      writeTimeout: 5000,
      usernameField: 'username',
      lastUsedUpdateInterval: 300,
      renewOnUse: false,
      renewOnUseInterval: 60,
      maxTokenLifetime: null,
      cookie: null,
      tokenChecksum: true,
      acceptLegacyTokens: true,
      invalidTokenThrottleRate: null,
      apiKeysPerUser: 50,
      apiKeyMaxLifetime: 365 * 86_400,
      closeRefusedWebSockets: true,
    });
  });

  test('a setting given as undefined takes its default (process.env.X as it is)', () => {
    const defaults = resolveSettings({});
    const allUndefined = Object.fromEntries(Object.keys(defaults).map((name) => [name, undefined]));
    expect(resolveSettings(allUndefined)).toEqual(defaults);
  });

  test('apiAccessClientName "none" is a client name, not null', () => {
    expect(resolveSettings({ apiAccessClientName: 'none' }).apiAccessClientName).toBe('none');
  });

  test('trustProxy takes false, a hop count, trusted addresses or true', () => {
    expect(resolveSettings({ trustProxy: false }).trustProxy).toBe(false);
    expect(resolveSettings({ trustProxy: 0 }).trustProxy).toBe(false);
    for (const value of [1, 3, true, ['10.0.0.0/8', 'loopback'], '192.168.0.1, ::1', ['fe80::/10']]) {
      expect(typeof resolveSettings({ trustProxy: value }).trustProxy).toBe('function');
    }
  });

  test('lookupTimeout takes durations and milliseconds', () => {
    expect(resolveSettings({ lookupTimeout: '2s' }).lookupTimeout).toBe(2000);
    expect(resolveSettings({ lookupTimeout: 3 }).lookupTimeout).toBe(3000);
    expect(resolveSettings({ lookupTimeout: '250ms' }).lookupTimeout).toBe(250);
    expect(resolveSettings({ writeTimeout: '250ms' }).writeTimeout).toBe(250);
    expect(resolveSettings({ writeTimeout: 2 }).writeTimeout).toBe(2000);
  });

  test('durations and rates are parsed once', () => {
    const settings = resolveSettings({
      defaultTokenTtl: '14d',
      tokenCacheTimeout: '5m',
      defaultThrottleRate: '100/hour',
      loginThrottleRate: null,
    });
    expect(settings).toMatchObject({
      defaultTokenTtl: 14 * 86_400,
      tokenCacheTimeout: 300,
      defaultThrottleRate: { count: 100, seconds: 3600, text: '100/hour' },
      loginThrottleRate: null,
    });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  test.each([
    [
      { defaultTokenTtl: 0 },
      'trpc-durin: invalid setting "defaultTokenTtl": expected a positive number of seconds or a string such as "45s", "30m", "12h" or "14d" (got 0)',
    ],
    [
      { defaultTokenTtl: '2 weeks' },
      'trpc-durin: invalid setting "defaultTokenTtl": expected a positive number of seconds or a string such as "45s", "30m", "12h" or "14d" (got "2 weeks")',
    ],
    [{ tokenCharacterLength: 33 }, 'trpc-durin: invalid setting "tokenCharacterLength": expected an even integer from 32 to 256 (got 33)'],
    [{ tokenCharacterLength: 30 }, 'trpc-durin: invalid setting "tokenCharacterLength": expected an even integer from 32 to 256 (got 30)'],
    [
      { tokenCharacterLength: 258 },
      'trpc-durin: invalid setting "tokenCharacterLength": expected an even integer from 32 to 256 (got 258)',
    ],
    [
      { tokenPrefix: 'has space' },
      'trpc-durin: invalid setting "tokenPrefix": expected up to 16 printable characters without spaces (got "has space")',
    ],
    [
      { authHeaderPrefix: '' },
      'trpc-durin: invalid setting "authHeaderPrefix": expected one word of printable characters, such as "Token" or "Bearer" (got "")',
    ],
    [
      { tokenCacheTimeout: -1 },
      'trpc-durin: invalid setting "tokenCacheTimeout": expected a positive number of seconds or a string such as "45s", "30m", "12h" or "14d", up to 24 days (got -1)',
    ],
    [
      { tokenCacheTimeout: '30d' },
      'trpc-durin: invalid setting "tokenCacheTimeout": expected a positive number of seconds or a string such as "45s", "30m", "12h" or "14d", up to 24 days (got "30d")',
    ],
    [{ tokenCacheMax: 0 }, 'trpc-durin: invalid setting "tokenCacheMax": expected a positive integer (got 0)'],
    [
      { apiAccessClientName: '' },
      'trpc-durin: invalid setting "apiAccessClientName": expected null or a client name of 1 to 64 characters (got "")',
    ],
    [
      { apiAccessExcludeFromSessions: 'yes' },
      'trpc-durin: invalid setting "apiAccessExcludeFromSessions": expected true or false (got "yes")',
    ],
    [
      { defaultThrottleRate: '100/week' },
      'trpc-durin: invalid setting "defaultThrottleRate": expected null or "<n>/<period>" with a period of s, sec, second, m, min, minute, h, hour, d or day (e.g. "100/h") (got "100/week")',
    ],
    [
      { loginThrottleRate: '0/m' },
      'trpc-durin: invalid setting "loginThrottleRate": expected null or "<n>/<period>" with a period of s, sec, second, m, min, minute, h, hour, d or day (e.g. "100/h") (got "0/m")',
    ],
    [
      { trustProxy: -1 },
      'trpc-durin: invalid setting "trustProxy": expected false, a hop count, a list of trusted addresses/CIDRs (such as ["10.0.0.0/8", "loopback"]) or true (got -1)',
    ],
    [
      { trustProxy: 'proxy.example' },
      'trpc-durin: invalid setting "trustProxy": expected false, a hop count, a list of trusted addresses/CIDRs (such as ["10.0.0.0/8", "loopback"]) or true (got "proxy.example")',
    ],
    [
      { trustProxy: [] },
      'trpc-durin: invalid setting "trustProxy": expected false, a hop count, a list of trusted addresses/CIDRs (such as ["10.0.0.0/8", "loopback"]) or true (got )',
    ],
    [
      { lookupTimeout: 0 },
      'trpc-durin: invalid setting "lookupTimeout": expected a positive number of seconds or a string such as "45s", "30m", "12h" or "14d", or milliseconds such as "500ms" (got 0)',
    ],
    [
      { lookupTimeout: '1h' },
      'trpc-durin: invalid setting "lookupTimeout": expected a positive number of seconds or a string such as "45s", "30m", "12h" or "14d", or milliseconds such as "500ms" (got "1h")',
    ],
    [
      { writeTimeout: 'soon' },
      'trpc-durin: invalid setting "writeTimeout": expected a positive number of seconds or a string such as "45s", "30m", "12h" or "14d", or milliseconds such as "500ms" (got "soon")',
    ],
    [
      { usernameField: 'user name' },
      'trpc-durin: invalid setting "usernameField": expected the name of an attribute of the user model (got "user name")',
    ],
    [{ tokenTTL: '1d' }, 'trpc-durin: unknown setting "tokenTTL"; did you mean "defaultTokenTtl"?'],
    [{ tokenCacheTimout: 60 }, 'trpc-durin: unknown setting "tokenCacheTimout"; did you mean "tokenCacheTimeout"?'],
    [{ tokenprefix: 'x_' }, 'trpc-durin: unknown setting "tokenprefix"; did you mean "tokenPrefix"?'],
    [{ colour: 'blue' }, 'trpc-durin: unknown setting "colour"'],
  ])('%o fails naming the setting', (settings, message) => {
    expect(() => resolveSettings(settings as never)).toThrow(expect.objectContaining({ name: 'DurinConfigError', message }));
  });
});
