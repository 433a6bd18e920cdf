import type { DurinLivenessMessage } from './liveness.js';

/**
 * The contract a cross-process bus implements, like `DurinThrottleStore` for counters.
 * The core knows only this; `trpc-durin/redis` provides `redisCacheBus`, and an app may bring its
 * own (NATS, Postgres LISTEN/NOTIFY) with the same guarantees.
 */

/** The parts of durin that can lose their shared backend and report it (`degraded` / `recovered`). */
export type DurinComponent = 'throttleStore' | 'cacheBus' | 'usage';

/** How a shared component reports its health to durin's `events`. */
export interface DurinHealthReporter {
  /** The component lost its backend; durin emits `degraded` once per outage. */
  degraded(component: DurinComponent, error: unknown): void;
  /** The backend answers again; durin emits `recovered` once. */
  recovered(component: DurinComponent): void;
}

/** What durin hands a bus when it connects it. */
export interface DurinCacheBusLink extends DurinHealthReporter {
  /** A message another process published: reaches this process's cache and streams, never re-published. */
  deliver(message: DurinLivenessMessage): void;
  /**
   * The bus's health changed. While unhealthy the cached context bypasses its cache (every lookup
   * goes to the database); on the way back to healthy the cache is cleared, since messages may
   * have been missed meanwhile.
   */
  healthChanged(healthy: boolean): void;
}

export interface DurinCacheBus {
  /** durin calls this once, from `createDurin`; the bus starts listening here. */
  connect(link: DurinCacheBusLink): void;
  /** Sends a local change to every other process. Never throws, never waits on the caller. */
  publish(message: DurinLivenessMessage): void;
  /** True only while every message is known to be delivered (subscription confirmed, pings answered). */
  readonly healthy: boolean;
  /** Ends what the bus started (its subscriber connection, timers); the app's own client stays open. */
  close(): Promise<void>;
}

/** A component durin started that must end in `durin.close()` (a throttle store's timers, say). */
export interface DurinClosable {
  close?(): void | Promise<void>;
}

// The names before every public type carried the `Durin` prefix, kept for one release.
/** @deprecated Use `DurinCacheBusLink`. */
export type CacheBusLink = DurinCacheBusLink;
