import { describe, expect, test, vi } from 'vitest';
import { createDurinEvents } from '../../src/core/events.js';
import { createTokenLiveness, type DurinLivenessMessage } from '../../src/core/liveness.js';

/** The token-liveness hub: one place where "this token stopped working" is told. */
describe('createTokenLiveness', () => {
  const revoked = (...tokenHashes: string[]): DurinLivenessMessage => ({ type: 'revoked', tokenHashes });

  test('publish reaches subscribers, the watchers of each named digest, and the publisher', () => {
    const liveness = createTokenLiveness((error) => {
      throw error;
    });
    const all: DurinLivenessMessage[] = [];
    const a: DurinLivenessMessage[] = [];
    const c: DurinLivenessMessage[] = [];
    const published: DurinLivenessMessage[] = [];
    liveness.subscribe((m) => all.push(m));
    liveness.watchToken('a', (m) => a.push(m));
    liveness.watchToken('c', (m) => c.push(m));
    liveness.setPublisher({ publish: (m) => published.push(m) });
    liveness.publish(revoked('a', 'b'));
    liveness.publish({ type: 'renewed', tokenHash: 'c', expiry: 5 });
    expect(all).toHaveLength(2);
    expect(a).toEqual([revoked('a', 'b')]);
    expect(c).toEqual([{ type: 'renewed', tokenHash: 'c', expiry: 5 }]);
    expect(published).toEqual(all);
  });

  test('deliver (a change from another process) reaches local listeners and is never published again', () => {
    const liveness = createTokenLiveness(() => {});
    const publish = vi.fn();
    const seen = vi.fn();
    liveness.setPublisher({ publish });
    liveness.watchUser('7', seen);
    liveness.deliver({ type: 'userChanged', userId: '7' });
    liveness.deliver({ type: 'userChanged', userId: '8' });
    expect(seen).toHaveBeenCalledTimes(1);
    expect(publish).not.toHaveBeenCalled();
  });

  test('unsubscribing leaves no listener behind', () => {
    const liveness = createTokenLiveness(() => {});
    const offs = Array.from({ length: 1000 }, (_, i) => liveness.watchToken(`t${i % 10}`, () => {}));
    offs.push(
      liveness.watchUser('1', () => {}),
      liveness.subscribe(() => {}),
    );
    expect(liveness.listenerCount).toBe(1002);
    for (const off of offs) off();
    for (const off of offs) off(); // twice is harmless
    expect(liveness.listenerCount).toBe(0);
  });

  test('a throwing listener is reported and does not stop the others or the publisher', () => {
    const errors: unknown[] = [];
    const liveness = createTokenLiveness((error) => errors.push(error));
    const publish = vi.fn();
    const after = vi.fn();
    liveness.setPublisher({ publish });
    liveness.watchToken('a', () => {
      throw new Error('boom');
    });
    liveness.watchToken('a', after);
    liveness.publish(revoked('a'));
    expect(errors).toEqual([new Error('boom')]);
    expect(after).toHaveBeenCalledTimes(1);
    expect(publish).toHaveBeenCalledTimes(1);
  });
});

describe('durin events', () => {
  test('a throwing listener does not stop the others; its error is emitted as listenerError', () => {
    const events = createDurinEvents();
    const second = vi.fn();
    const reported: unknown[] = [];
    events.on('tokenRevoked', () => {
      throw new Error('listener bug');
    });
    events.on('tokenRevoked', second);
    events.on('listenerError', (e) => reported.push(e));
    expect(events.emit('tokenRevoked', { tokenHashes: ['x'], reason: 'logout' })).toBe(true);
    expect(second).toHaveBeenCalledTimes(1);
    expect(reported).toEqual([{ event: 'tokenRevoked', error: new Error('listener bug') }]);
  });

  test('without a listenerError listener the error goes to console.error', () => {
    const events = createDurinEvents();
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    events.once('tokenExpired', () => {
      throw new Error('oops');
    });
    events.emit('tokenExpired', { userId: 1, clientName: 'web' });
    events.emit('tokenExpired', { userId: 1, clientName: 'web' }); // once: gone after the first
    expect(spy).toHaveBeenCalledTimes(1);
    expect(String(spy.mock.calls[0]![0])).toContain('"tokenExpired" listener threw');
    spy.mockRestore();
  });
});
