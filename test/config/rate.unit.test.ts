import { describe, expect, test } from 'vitest';
import { parseRate } from '../../src/config/rate.js';

/**
 * The rate grammar: `<n>/<s|sec|second|m|min|minute|h|hour|d|day>`. One parser for
 * settings, `clients.create`, `throttle({ defaultRate })` and the CLI.
 */
describe('parseRate', () => {
  test.each([
    ['1/s', 1, 1],
    ['3/sec', 3, 1],
    ['4/second', 4, 1],
    ['2/m', 2, 60],
    ['6/min', 6, 60],
    ['7/minute', 7, 60],
    ['100/h', 100, 3600],
    ['8/hour', 8, 3600],
    ['1000/d', 1000, 86_400],
    ['9/day', 9, 86_400],
    ['999999999/s', 999_999_999, 1],
  ])('accepts %j as %i per %i s', (text, count, seconds) => {
    expect(parseRate(text)).toEqual({ count, seconds, text });
  });

  test('accepts "2/minute", which durin\'s model validator rejected (the long words are accepted)', () => {
    expect(parseRate('2/minute')).toEqual({ count: 2, seconds: 60, text: '2/minute' });
  });

  test('trims surrounding whitespace and keeps the trimmed text', () => {
    expect(parseRate(' 5/m\n')).toEqual({ count: 5, seconds: 60, text: '5/m' });
  });

  test.each([
    ['', 'empty'],
    ['blahblah', "no slash (durin's test_throttle_rate_validation_raises_exc)"],
    ['0/m', 'zero requests'],
    ['00/m', 'zero requests, padded'],
    ['-1/m', 'negative'],
    ['1.5/m', 'not an integer'],
    ['5/minutes', 'plural period'],
    ['5/hours', 'plural period'],
    ['5/days', 'plural period'],
    ['5/seconds', 'plural period'],
    ['5/ms', 'unknown period'],
    ['5/w', 'unknown period'],
    ['5 / m', 'spaces inside'],
    ['5/ m', 'space after the slash'],
    ['5 /m', 'space before the slash'],
    ['5/M', 'upper-case period'],
    ['5/', 'no period'],
    ['/m', 'no count'],
    ['5/m/h', 'two slashes'],
    ['1000000000/s', 'more than 9 digits'],
    ['５/m', 'non-ASCII digit'],
  ])('rejects %j (%s)', (text, _reason) => {
    expect(parseRate(text)).toBeNull();
  });

  test.each([[5], [null], [undefined], [{ count: 5, seconds: 60 }], [['5/m']]])('rejects the non-string %j', (input) => {
    expect(parseRate(input)).toBeNull();
  });
});
