import { describe, expect, test } from 'vitest';
import { clientIp, normalizeIp } from '../../src/request/clientIp.js';
import { compileTrustProxy } from '../../src/config/trustProxy.js';
import { boundedKey, MAX_THROTTLE_KEY_LENGTH } from '../../src/throttle/loginKey.js';

/** trustProxy in proxy-addr's vocabulary, normalized addresses, bounded keys. */
describe('clientIp', () => {
  const trust = (value: unknown) => {
    const compiled = compileTrustProxy(value);
    if (compiled === null) throw new Error('invalid');
    return compiled;
  };
  const forged = '6.6.6.6, 7.7.7.7, 203.0.113.9';

  test('false ignores X-Forwarded-For', () => {
    expect(clientIp('10.0.0.1', forged, trust(false))).toBe('10.0.0.1');
  });

  test('a hop count takes the address that many proxies in: forged entries on the left do not count', () => {
    // client 203.0.113.9 → appending proxy 10.0.0.1 → server
    expect(clientIp('10.0.0.1', forged, trust(1))).toBe('203.0.113.9');
    expect(clientIp('10.0.0.1', '203.0.113.9', trust(1))).toBe('203.0.113.9');
    expect(clientIp('10.0.0.2', `${forged}, 10.0.0.1`, trust(2))).toBe('203.0.113.9');
  });

  test('a trusted list skips trusted proxies only', () => {
    expect(clientIp('10.0.0.2', `${forged}, 10.0.0.1`, trust(['10.0.0.0/8']))).toBe('203.0.113.9');
    expect(clientIp('127.0.0.1', forged, trust('loopback'))).toBe('203.0.113.9');
    // The socket is not a trusted proxy: its address is the client, whatever the header says.
    expect(clientIp('198.51.100.7', forged, trust(['10.0.0.0/8']))).toBe('198.51.100.7');
  });

  test('true trusts every hop: the leftmost entry, which the client writes', () => {
    expect(clientIp('10.0.0.1', forged, trust(true))).toBe('6.6.6.6');
  });

  test('IPv4-mapped IPv6 is IPv4, and IPv6 is lowercase', () => {
    expect(normalizeIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeIp('::FFFF:10.1.2.3')).toBe('10.1.2.3');
    expect(normalizeIp('2001:DB8::1')).toBe('2001:db8::1');
    expect(clientIp('::ffff:10.0.0.1', '::ffff:203.0.113.9', trust(['10.0.0.0/8']))).toBe('203.0.113.9');
    expect(clientIp('::ffff:192.0.2.1', undefined, trust(false))).toBe('192.0.2.1');
  });

  test('without a socket address (fetch), the peer is the trusted proxy', () => {
    expect(clientIp(undefined, forged, trust(1))).toBe('203.0.113.9');
    expect(clientIp(undefined, undefined, trust(1))).toBeUndefined();
  });

  test('long throttle keys are hashed to a bounded length', () => {
    const long = `throttle_login_${'1'.repeat(8192)}_alice`;
    expect(boundedKey(long).length).toBeLessThanOrEqual(MAX_THROTTLE_KEY_LENGTH);
    expect(boundedKey(long)).toBe(boundedKey(long));
    expect(boundedKey(`${long}x`)).not.toBe(boundedKey(long));
    expect(boundedKey('throttle_login_127.0.0.1_alice')).toBe('throttle_login_127.0.0.1_alice');
  });
});
