import type { DurinHealthReporter } from './bus.js';
import { renewalExpiry } from './lifetime.js';
import type { DurinAuthToken } from '../models/types.js';
import { storableIp, type RequestFacts } from './requestFacts.js';
import type { ResolvedDurinSettings } from '../config/settings.js';
import { now } from './time.js';
import type { TokenLifecycle, DurinUseValues } from './tokens.js';

/**
 * The one off-path writer: usage recording (`lastUsedAt`, `lastIp`,
 * `userAgent`) and `renewOnUse` share a per-digest scheduler. A verified request only decides, in
 * memory, whether a write is due; the write runs later (`setImmediate`), so the response never waits
 * for it, and its failure goes to `degraded` { component: 'usage' }, never to the caller.
 *
 * Per token: at most one usage write per `lastUsedUpdateInterval` (also judged by the row's own
 * `lastUsedAt`, so a restart or a second process does not write again at once) and at most one
 * renewal per `renewOnUseInterval` (in this process; issuing a token is not a renewal). While a
 * token's write is in flight, its other requests schedule nothing, so concurrent requests with one
 * token cost one write, and one write carries both when both are due.
 */

export interface UsageRecorder<TUser> {
  /**
   * Decides whether a write is due for this verified use and schedules it; never throws, never
   * waits. Returns the new expiry when it scheduled a renewal (a session cookie follows it), else null.
   */
  record(auth: DurinAuthToken<TUser>, facts: RequestFacts): Date | null;
  /** Waits for the writes in flight and schedules no more (`durin.close()`). */
  close(): Promise<void>;
}

export interface UsageDeps<TUser> {
  /** Writes the values and announces a renewal, like every other change to a token row. */
  readonly tokens: Pick<TokenLifecycle<TUser>, 'recordUse'>;
  readonly settings: Pick<
    ResolvedDurinSettings,
    'lastUsedUpdateInterval' | 'renewOnUse' | 'renewOnUseInterval' | 'maxTokenLifetime' | 'tokenCacheMax'
  >;
  readonly health: DurinHealthReporter;
}

/** What this process last did for one digest (ms since the epoch). */
interface Slot {
  usageAt: number;
  renewAt: number;
  writing: boolean;
}

/** A slot's time for "never written": every interval has passed since. */
const NEVER = Number.NEGATIVE_INFINITY;

type Written = DurinUseValues;

/** `null` when neither tracking nor renewal is on: then the context factory has nothing to call. */
export function createUsageRecorder<TUser>(deps: UsageDeps<TUser>): UsageRecorder<TUser> | null {
  const { tokens, settings, health } = deps;
  const usageMs = settings.lastUsedUpdateInterval === null ? null : settings.lastUsedUpdateInterval * 1000;
  const renewMs = settings.renewOnUse ? settings.renewOnUseInterval * 1000 : null;
  if (usageMs === null && renewMs === null) return null;
  // Bounded like the cache: an entry only saves a write, so the oldest may go.
  const maxSlots = settings.tokenCacheMax;
  const slots = new Map<string, Slot>();
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  const usageDue = (auth: DurinAuthToken<TUser>, slot: Slot | undefined, at: number) => {
    if (usageMs === null) return false;
    if (slot && at - slot.usageAt < usageMs) return false;
    const recorded = auth.lastUsedAt?.getTime();
    return recorded === undefined || at - recorded >= usageMs;
  };

  /** The new expiry when a renewal is due and moves the expiry later (a use never shortens a token). */
  const renewalDue = (auth: DurinAuthToken<TUser>, slot: Slot | undefined, at: number): Date | null => {
    if (renewMs === null || (slot && at - slot.renewAt < renewMs) || !auth.client) return null;
    const expiry = renewalExpiry(at, Number(auth.client.tokenTtl), { created: auth.created, maxTokenLifetime: settings.maxTokenLifetime });
    return expiry.getTime() > auth.expiry.getTime() ? expiry : null;
  };

  async function write(auth: DurinAuthToken<TUser>, values: Written, slot: Slot): Promise<void> {
    try {
      // False (revoked or rotated meanwhile) needs nothing more: there is nothing to announce.
      await tokens.recordUse(auth, values);
      health.recovered('usage');
    } catch (error) {
      health.degraded('usage', error);
    } finally {
      slot.writing = false;
    }
  }

  return {
    record(auth, facts) {
      if (closed) return null;
      const slot = slots.get(auth.tokenHash);
      if (slot?.writing) return null;
      const at = now();
      const usage = usageDue(auth, slot, at);
      const expiry = renewalDue(auth, slot, at);
      if (!usage && !expiry) return null;

      const next: Slot = slot ?? { usageAt: NEVER, renewAt: NEVER, writing: false };
      next.writing = true;
      const values: Written = {};
      if (usage) {
        next.usageAt = at;
        values.lastUsedAt = new Date(at);
        values.lastIp = storableIp(facts.ip);
        values.userAgent = facts.userAgent;
      }
      if (expiry) {
        next.renewAt = at;
        values.expiry = expiry;
      }
      // Re-inserted, so the map's order is least recently written first.
      slots.delete(auth.tokenHash);
      if (slots.size >= maxSlots) evictOldest(slots);
      slots.set(auth.tokenHash, next);

      const done = new Promise<void>((resolve) => {
        setImmediate(() => void write(auth, values, next).finally(resolve));
      });
      inFlight.add(done);
      void done.finally(() => inFlight.delete(done));
      return expiry;
    },
    async close() {
      closed = true;
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      slots.clear();
    },
  };
}

/** Drops the least recently written entry that has no write in flight. */
function evictOldest(slots: Map<string, Slot>): void {
  for (const [tokenHash, slot] of slots) {
    if (!slot.writing) {
      slots.delete(tokenHash);
      return;
    }
  }
}
