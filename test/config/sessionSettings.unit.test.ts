import { describe, expect, test } from 'vitest';
import { resolveSettings } from '../../src/config/settings.js';

/** Session settings: parsed once, invalid ones fail at start naming the setting. */
const DURATION = 'a positive number of seconds or a string such as "45s", "30m", "12h" or "14d"';

describe('session metadata and renewal settings', () => {
  test('durations are parsed and null switches tracking and the lifetime cap off', () => {
    expect(
      resolveSettings({ lastUsedUpdateInterval: '1h', renewOnUse: true, renewOnUseInterval: 30, maxTokenLifetime: '90d' }),
    ).toMatchObject({
      lastUsedUpdateInterval: 3600,
      renewOnUse: true,
      renewOnUseInterval: 30,
      maxTokenLifetime: 90 * 86_400,
    });
    expect(resolveSettings({ lastUsedUpdateInterval: null, maxTokenLifetime: null })).toMatchObject({
      lastUsedUpdateInterval: null,
      maxTokenLifetime: null,
    });
  });

  test.each([
    [{ lastUsedUpdateInterval: 0 }, `trpc-durin: invalid setting "lastUsedUpdateInterval": expected null or ${DURATION} (got 0)`],
    [
      { lastUsedUpdateInterval: 'often' },
      `trpc-durin: invalid setting "lastUsedUpdateInterval": expected null or ${DURATION} (got "often")`,
    ],
    [{ renewOnUse: 'yes' }, 'trpc-durin: invalid setting "renewOnUse": expected true or false (got "yes")'],
    [{ renewOnUseInterval: null }, `trpc-durin: invalid setting "renewOnUseInterval": expected ${DURATION} (got null)`],
    [{ renewOnUseInterval: '-1m' }, `trpc-durin: invalid setting "renewOnUseInterval": expected ${DURATION} (got "-1m")`],
    [{ maxTokenLifetime: '90 days' }, `trpc-durin: invalid setting "maxTokenLifetime": expected null or ${DURATION} (got "90 days")`],
  ])('%o fails naming the setting', (settings, message) => {
    expect(() => resolveSettings(settings as never)).toThrow(expect.objectContaining({ name: 'DurinConfigError', message }));
  });
});
