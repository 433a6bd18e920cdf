import { describe, expect, test } from 'vitest';
import { resolveSettings } from '../../src/config/settings.js';

describe('API key and token format settings', () => {
  test('parse their values', () => {
    expect(
      resolveSettings({
        tokenChecksum: false,
        invalidTokenThrottleRate: '30/m',
        apiKeysPerUser: 3,
        apiKeyMaxLifetime: '90d',
      }),
    ).toMatchObject({
      tokenChecksum: false,
      acceptLegacyTokens: true,
      invalidTokenThrottleRate: { count: 30, seconds: 60, text: '30/m' },
      apiKeysPerUser: 3,
      apiKeyMaxLifetime: 90 * 86_400,
    });
    expect(resolveSettings({ apiKeyMaxLifetime: null }).apiKeyMaxLifetime).toBeNull();
  });

  test.each([
    [{ tokenChecksum: 'yes' }, 'trpc-durin: invalid setting "tokenChecksum": expected true or false (got "yes")'],
    [{ acceptLegacyTokens: 0 }, 'trpc-durin: invalid setting "acceptLegacyTokens": expected true or false (got 0)'],
    [{ invalidTokenThrottleRate: '30 per minute' }, 'trpc-durin: invalid setting "invalidTokenThrottleRate": expected null or'],
    [{ apiKeysPerUser: 0 }, 'trpc-durin: invalid setting "apiKeysPerUser": expected a positive integer (got 0)'],
    [{ apiKeyMaxLifetime: '1 year' }, 'trpc-durin: invalid setting "apiKeyMaxLifetime": expected null or'],
    [
      { acceptLegacyTokens: false, tokenChecksum: false },
      'trpc-durin: invalid setting "acceptLegacyTokens": expected true while tokenChecksum is false (no token would be well-formed) (got false)',
    ],
  ])('%j is refused naming the setting', (settings, message) => {
    expect(() => resolveSettings(settings as never)).toThrow(message);
  });
});
