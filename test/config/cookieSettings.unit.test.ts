import { describe, expect, test } from 'vitest';
import { resolveSettings } from '../../src/config/settings.js';
import { isDurinConfigError } from '../../src/config/messages.js';

/** The `cookie` setting: its defaults, and a start-up error naming the field that is wrong. */
describe('settings.cookie', () => {
  test('off by default; an empty object takes every default', () => {
    expect(resolveSettings({}).cookie).toBeNull();
    expect(resolveSettings({ cookie: {} }).cookie).toEqual({
      name: 'durin_token',
      path: '/',
      domain: null,
      sameSite: 'lax',
      secure: true,
      trustedOrigins: [],
    });
  });

  test('every field is kept as given', () => {
    const cookie = {
      name: 'sid',
      path: '/api',
      domain: 'example.com',
      sameSite: 'strict',
      secure: false,
      trustedOrigins: ['https://app.example.com'],
    };
    expect(resolveSettings({ cookie: cookie as never }).cookie).toEqual(cookie);
  });

  test.each([
    [{ name: 'a b' }, 'cookie.name', '"a b"'],
    [{ path: 'api' }, 'cookie.path', '"api"'],
    [{ domain: 'exa mple.com' }, 'cookie.domain', '"exa mple.com"'],
    [{ sameSite: 'Lax ' }, 'cookie.sameSite', '"Lax "'],
    [{ secure: 'yes' }, 'cookie.secure', '"yes"'],
    [{ sameSite: 'none', secure: false }, 'cookie.secure', 'false'],
    [{ trustedOrigins: 'https://a.example' }, 'cookie.trustedOrigins', '"https://a.example"'],
    [{ trustedOrigins: ['https://a.example/'] }, 'cookie.trustedOrigins', '"https://a.example/"'],
    [{ trustedOrigins: ['a.example'] }, 'cookie.trustedOrigins', '"a.example"'],
    [{ maxAge: 5 }, 'cookie.maxAge', '5'],
  ])('%j is refused naming %s', (cookie, field, got) => {
    let thrown: unknown;
    try {
      resolveSettings({ cookie: cookie as never });
    } catch (error) {
      thrown = error;
    }
    expect(isDurinConfigError(thrown)).toBe(true);
    expect((thrown as Error).message).toMatch(
      new RegExp(`^trpc-durin: invalid setting "${field}": expected .* \\(got ${got.replace(/[/.]/g, '\\$&')}\\)$`),
    );
  });

  test('a value that is not an object names the setting', () => {
    expect(() => resolveSettings({ cookie: 'on' as never })).toThrow('trpc-durin: invalid setting "cookie": expected null or an object');
  });
});
