import { describe, expect, test } from 'vitest';
import { formatDuration, MAX_DURATION_SECONDS, parseDuration } from '../../src/config/duration.js';

/** Durations: seconds, or "45s" / "30m" / "12h" / "14d". */
describe('parseDuration', () => {
  test.each([
    [45, 45],
    [1, 1],
    ['45s', 45],
    ['30m', 1800],
    ['12h', 43_200],
    ['14d', 1_209_600],
    ['1d', 86_400],
    [' 2h ', 7200],
    [MAX_DURATION_SECONDS, MAX_DURATION_SECONDS],
  ])('parses %j as %i seconds', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  test.each([
    [0, 'zero'],
    [-1, 'negative'],
    [1.5, 'fractional seconds'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'infinity'],
    [MAX_DURATION_SECONDS + 1, 'beyond the maximum'],
    ['0s', 'zero with a unit'],
    ['', 'empty'],
    ['14', 'a string without a unit'],
    ['14 d', 'a space before the unit'],
    ['14days', 'a long unit'],
    ['14D', 'an upper-case unit'],
    ['1w', 'weeks'],
    ['1.5h', 'a fraction'],
    ['-1d', 'negative'],
    ['invalid', "durin's test_create_client__invalid_ttl_raises_exc"],
    ['14 00:00', 'Django\'s "DD HH:MM" form'],
    [`${MAX_DURATION_SECONDS + 1}s`, 'beyond the maximum, as a string'],
    [null, 'null'],
    [undefined, 'undefined'],
    [{}, 'an object'],
  ])('rejects %j (%s)', (input, _reason) => {
    expect(parseDuration(input)).toBeNull();
  });
});

describe('formatDuration', () => {
  test.each([
    [86_400, '1d'],
    [1_209_600, '14d'],
    [3600, '1h'],
    [90_000, '25h'],
    [120, '2m'],
    [90, '90s'],
    [1, '1s'],
  ])('renders %i as %j', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  test.each([1, 59, 60, 3599, 86_400, 1_209_600, 123_456])('round-trips %i through parseDuration', (seconds) => {
    expect(parseDuration(formatDuration(seconds))).toBe(seconds);
  });
});
