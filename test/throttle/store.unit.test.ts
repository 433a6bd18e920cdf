import { describe, expect, test } from 'vitest';
import { DURIN_ERRORS, durinMessage, formatWait } from '../../src/errors.js';
import { memoryThrottleStore, type DurinThrottleDecision } from '../../src/throttle/store.js';

/**
 * The default counter store: DRF's sliding log per key, bounded by
 * `maxKeys`, expired keys swept. Time is passed in, so no clock is faked here.
 */
const T0 = Date.UTC(2030, 0, 1);
const s = (seconds: number) => T0 + seconds * 1000;
const perMinute = (count: number) => ({ count, seconds: 60 });
const refused = (decision: DurinThrottleDecision) => (decision.allowed ? null : decision.waitSeconds);

describe('memoryThrottleStore: the sliding log', () => {
  test('allows `count` requests in the window, then refuses', () => {
    const store = memoryThrottleStore();
    expect(store.hit('k', perMinute(2), s(0))).toEqual({ allowed: true });
    expect(store.hit('k', perMinute(2), s(1))).toEqual({ allowed: true });
    expect(store.hit('k', perMinute(2), s(2))).toEqual({ allowed: false, waitSeconds: 58 });
  });

  test('a refused request is not recorded', () => {
    const store = memoryThrottleStore();
    store.hit('k', perMinute(1), s(0));
    for (let i = 1; i < 50; i++) expect(store.hit('k', perMinute(1), s(i)).allowed).toBe(false);
    // Only the first request counts: the window frees up 60 s after it, not after the refusals.
    expect(store.hit('k', perMinute(1), s(60)).allowed).toBe(true);
  });

  test('a request leaves the window exactly `seconds` after it was made (DRF drops `<= now - duration`)', () => {
    const store = memoryThrottleStore();
    store.hit('k', perMinute(1), s(0));
    expect(refused(store.hit('k', perMinute(1), s(60) - 1))).toBe(1);
    expect(store.hit('k', perMinute(1), s(60)).allowed).toBe(true);
  });

  test('the window slides: each request frees its slot on its own schedule', () => {
    const store = memoryThrottleStore();
    store.hit('k', perMinute(2), s(0));
    store.hit('k', perMinute(2), s(30));
    expect(refused(store.hit('k', perMinute(2), s(45)))).toBe(15);
    expect(store.hit('k', perMinute(2), s(60)).allowed).toBe(true); // the request of s(0) left
    expect(refused(store.hit('k', perMinute(2), s(61)))).toBe(29); // now s(30) is the oldest
    expect(store.hit('k', perMinute(2), s(90)).allowed).toBe(true);
  });

  test('keys count separately', () => {
    const store = memoryThrottleStore();
    expect(store.hit('a', perMinute(1), s(0)).allowed).toBe(true);
    expect(store.hit('b', perMinute(1), s(0)).allowed).toBe(true);
    expect(store.hit('a', perMinute(1), s(1)).allowed).toBe(false);
    expect(store.hit('b', perMinute(1), s(1)).allowed).toBe(false);
    expect(store.hit('c', perMinute(1), s(1)).allowed).toBe(true);
  });

  test('windows of every period work (1/s, 1/h, 1/d)', () => {
    const store = memoryThrottleStore();
    for (const seconds of [1, 3600, 86_400]) {
      const key = `k${seconds}`;
      store.hit(key, { count: 1, seconds }, s(0));
      expect(refused(store.hit(key, { count: 1, seconds }, s(0)))).toBe(seconds);
      expect(store.hit(key, { count: 1, seconds }, s(seconds)).allowed).toBe(true);
    }
  });
});

describe('memoryThrottleStore: the wait', () => {
  test("is DRF's (duration - (now - oldest)) / (num_requests - len(history) + 1), rounded up", () => {
    const store = memoryThrottleStore();
    store.hit('k', perMinute(3), s(0));
    store.hit('k', perMinute(3), s(10));
    store.hit('k', perMinute(3), s(20));
    // history full (len 3 = num 3): (60 - (25 - 0)) / 1 = 35
    expect(refused(store.hit('k', perMinute(3), s(25)))).toBe(35);
    expect(refused(store.hit('k', { count: 3, seconds: 60 }, s(25) + 400))).toBe(35); // 34.6 → 35
  });

  test('is at least 1 second, and exactly 1 with under a second left', () => {
    const store = memoryThrottleStore();
    store.hit('k', perMinute(1), s(0));
    expect(refused(store.hit('k', perMinute(1), s(59) + 1))).toBe(1);
    expect(refused(store.hit('k', perMinute(1), s(60) - 1))).toBe(1);
    expect(refused(store.hit('k', perMinute(1), s(58) + 999))).toBe(2); // 1.001 s left → 2
  });

  test('is the time until enough requests leave when a key holds more than the rate allows (a lowered rate)', () => {
    // One key seen at 5/m (a client's rate later lowered to 2/m, or two throttles sharing a scope with
    // different default rates): 4 requests in the log, 2 allowed. The next is allowed once 3 of them
    // have left, i.e. when the one of s(2) does, at s(62). DRF's formula divides by
    // 2 - 4 + 1 = -1 here (and by zero with 3 in the log): the wait must still be that time.
    const store = memoryThrottleStore();
    for (const at of [0, 1, 2, 3]) expect(store.hit('k', perMinute(5), s(at)).allowed).toBe(true);
    expect(refused(store.hit('k', perMinute(2), s(10)))).toBe(52);
    const three = memoryThrottleStore();
    for (const at of [0, 1, 2]) three.hit('k', perMinute(5), s(at));
    const wait = refused(three.hit('k', perMinute(2), s(10)));
    expect(wait).toBe(51); // when s(1) leaves, at s(61)
    expect(Number.isFinite(wait)).toBe(true);
    expect(three.hit('k', perMinute(2), s(61)).allowed).toBe(true);
  });

  test('reads "1 second" for one and "N seconds" otherwise, as DRF writes it', () => {
    expect(formatWait(1)).toBe('1 second');
    expect(formatWait(2)).toBe('2 seconds');
    expect(formatWait(60)).toBe('60 seconds');
    expect(durinMessage('THROTTLED', { wait: formatWait(1) })).toBe('Request was throttled. Expected available in 1 second.');
    expect(durinMessage('THROTTLED', { wait: formatWait(42) })).toBe('Request was throttled. Expected available in 42 seconds.');
    expect(DURIN_ERRORS.THROTTLED.code).toBe('TOO_MANY_REQUESTS');
  });
});

describe('memoryThrottleStore: memory', () => {
  test('holds at most `maxKeys` keys, however many distinct keys arrive', () => {
    const store = memoryThrottleStore({ maxKeys: 50 });
    for (let i = 0; i < 10_000; i++) {
      store.hit(`ip-${i}`, perMinute(5), s(0) + i);
      expect(store.size).toBeLessThanOrEqual(50);
    }
    expect(store.size).toBe(50);
  });

  test('sweeps expired keys before dropping live ones', () => {
    const store = memoryThrottleStore({ maxKeys: 3 });
    store.hit('old-1', perMinute(1), s(0));
    store.hit('old-2', perMinute(1), s(0));
    store.hit('live', { count: 1, seconds: 3600 }, s(0));
    // At s(61) the two per-minute keys are expired: a new key makes room by sweeping them.
    store.hit('new', perMinute(1), s(61));
    expect(store.size).toBe(2);
    // "live" was kept: its budget is still spent.
    expect(store.hit('live', { count: 1, seconds: 3600 }, s(62)).allowed).toBe(false);
  });

  test('sweeps expired keys every so often even when not full', () => {
    const store = memoryThrottleStore({ maxKeys: 100_000 });
    for (let i = 0; i < 500; i++) store.hit(`burst-${i}`, perMinute(1), s(0));
    expect(store.size).toBe(500);
    // Long after, one busy key: the periodic sweep (every 1000 hits) forgets the 500 expired ones.
    for (let i = 0; i < 1000; i++) store.hit('busy', { count: 10_000, seconds: 60 }, s(120) + i);
    expect(store.size).toBe(1);
  });

  test('when full of live keys, drops the least recently used one, not a busy one', () => {
    const store = memoryThrottleStore({ maxKeys: 3 });
    const hour = { count: 2, seconds: 3600 };
    store.hit('busy', hour, s(0));
    store.hit('idle-1', hour, s(1));
    store.hit('idle-2', hour, s(2));
    store.hit('busy', hour, s(3)); // busy has now used its 2 requests
    store.hit('newcomer', hour, s(4)); // full: one key must go
    expect(store.size).toBe(3);
    // The busy key kept its log (still refused); idle-1, the least recently used, was forgotten.
    expect(store.hit('busy', hour, s(5)).allowed).toBe(false);
    expect(store.hit('idle-2', hour, s(6)).allowed).toBe(true);
    expect(store.hit('idle-2', hour, s(7)).allowed).toBe(false); // idle-2 had kept its first request
  });

  test('a key at capacity stays cheap: 20 000 new keys into a full store of 100 000 live ones', () => {
    const store = memoryThrottleStore({ maxKeys: 100_000 });
    const hour = { count: 5, seconds: 3600 };
    for (let i = 0; i < 100_000; i++) store.hit(`fill-${i}`, hour, s(0));
    const started = performance.now();
    for (let i = 0; i < 20_000; i++) store.hit(`new-${i}`, hour, s(1));
    const elapsed = performance.now() - started;
    expect(store.size).toBe(100_000);
    // A full scan per new key would take seconds here; making room must not scan the map.
    expect(elapsed).toBeLessThan(5000); // measured: ~0.35 s; a scan per new key took ~230 s
  });
});
