import { afterEach, vi } from 'vitest';

/**
 * Moves durin's clock (Date only, so the drivers' timers keep running: knox's freeze_time).
 * Call `useClock()` at the top of a test file; `travel(ms)` then moves time forward.
 */
export function useClock() {
  afterEach(() => {
    vi.useRealTimers();
  });
  return {
    travel(ms: number) {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + ms);
    },
    freeze(at: number = Date.now()) {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(at);
      return at;
    },
  };
}

let counter = 0;
/** A name no other test in this file uses. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}
