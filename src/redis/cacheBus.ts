import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { DurinCacheBusLink, DurinCacheBus } from '../core/bus.js';
import { DURIN_INTERNAL_MESSAGES } from '../errors.js';
import { DURIN_CONFIG_PROBLEMS, invalidConfig } from '../config/messages.js';
import type { DurinLivenessMessage } from '../core/liveness.js';
import { decodeEnvelope, encodeEnvelope } from './busMessage.js';
import { resolveRedisOptions, withTimeout, type DurinRedisOptions } from './options.js';

/**
 * `redisCacheBus`: every liveness change of this process (each revocation reason,
 * renewals, user changes) goes out as JSON on one channel, `<prefix>liveness`; every other process
 * delivers it to its own hub, so its cache evicts. Pub/sub is at-most-once, hence `healthy`: true
 * only while the subscription is confirmed and the subscriber answers its pings; while false, durin
 * bypasses the cache, and clears it when health returns.
 */

export interface DurinRedisCacheBusOptions extends DurinRedisOptions {
  /** How often the subscriber connection is pinged; a ping unanswered within `commandTimeoutMs` makes the bus unhealthy. @default 1000 */
  pingIntervalMs?: number | undefined;
}

export interface DurinRedisCacheBus extends DurinCacheBus {
  /** The channel messages travel on. */
  readonly channel: string;
}

/** The subscriber's reconnect backoff is capped so that sharing resumes quickly (sharing must resume within 2 s of Redis answering again). */
const subscriberRetry = (times: number) => Math.min(times * 50, 500);
/** Messages whose publish failed, re-sent when the bus is healthy again (beyond this, the oldest go). */
const MAX_PENDING = 1000;

const SUBSCRIBER_OPTIONS = { retryStrategy: subscriberRetry, enableOfflineQueue: true, lazyConnect: false } as const;

const isCluster = (redis: Redis | Cluster): redis is Cluster => (redis as Cluster).isCluster === true;

/**
 * The connection the bus subscribes on, always a plain `Redis`, so that every disconnect is seen
 * (close, reconnecting) and the ping travels on the subscribed connection itself. On a Cluster,
 * classic pub/sub is broadcast to every node, so one master's connection hears every publish; the
 * Cluster's own subscriber is not used, since it moves to another node without telling (messages
 * published meanwhile would be missed while the bus reads as healthy). A master's connection tries
 * once (no reconnect): when it ends, the bus picks a master again, so a node that is gone for good
 * does not keep the bus unhealthy.
 */
function subscriberOf(redis: Redis | Cluster): Redis | null {
  if (!isCluster(redis)) return redis.duplicate(SUBSCRIBER_OPTIONS);
  const masters = redis.nodes('master');
  const node = masters[Math.floor(Math.random() * masters.length)];
  return node ? node.duplicate({ ...SUBSCRIBER_OPTIONS, retryStrategy: () => null }) : null;
}

/** `redis` is the app's client (it publishes); the bus subscribes on its own duplicate. @see README "Running several processes" */
export function redisCacheBus(redis: Redis | Cluster, options: DurinRedisCacheBusOptions = {}): DurinRedisCacheBus {
  const { prefix, commandTimeoutMs } = resolveRedisOptions('redisCacheBus', options);
  const pingIntervalMs = options.pingIntervalMs ?? 1000;
  if (!Number.isInteger(pingIntervalMs) || pingIntervalMs < 10 || pingIntervalMs > 60_000) {
    throw invalidConfig(
      'redisCacheBus option',
      'pingIntervalMs',
      DURIN_CONFIG_PROBLEMS.integerRange(10, 60_000, JSON.stringify(pingIntervalMs)),
    );
  }
  const channel = `${prefix}liveness`;
  const id = randomBytes(12).toString('hex');
  const pending: DurinLivenessMessage[] = [];
  let link: DurinCacheBusLink | null = null;
  let sub: Redis | null = null;
  let timer: NodeJS.Timeout | null = null;
  /** Cluster: the next pick of a master after the subscriber's connection ended, and how many in a row. */
  let reattach: NodeJS.Timeout | null = null;
  /** Publishes sent and not yet answered: `close()` waits for them, so a short-lived process (the CLI) does not end before its revocation left. */
  const inFlight = new Set<Promise<unknown>>();
  let attempts = 0;
  let healthy = false;
  let subscribed = false;
  let pingInFlight = false;
  let closed = false;
  /** Whether `degraded` was reported and `recovered` not yet: each is reported once per outage. */
  let down = false;

  const markDown = (error: unknown) => {
    if (closed) return;
    const was = healthy;
    healthy = false;
    if (was) link?.healthChanged(false);
    if (down) return;
    down = true;
    link?.degraded('cacheBus', error);
  };

  const markUp = () => {
    if (closed || healthy) return;
    healthy = true;
    link?.healthChanged(true);
    if (down) link?.recovered('cacheBus');
    down = false;
    for (const message of pending.splice(0)) send(message);
  };

  function send(message: DurinLivenessMessage) {
    const failed = (error: unknown) => {
      if (pending.length >= MAX_PENDING) pending.shift();
      pending.push(message);
      markDown(error);
    };
    try {
      const sent = redis.publish(channel, encodeEnvelope(id, message)).catch(failed);
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
    } catch (error) {
      failed(error);
    }
  }

  const subscribe = () => {
    if (closed || !sub) return;
    sub.subscribe(channel).then(
      () => {
        subscribed = true;
        markUp();
      },
      (error: unknown) => markDown(error),
    );
  };

  const lost = (why: string) => () => {
    subscribed = false;
    markDown(new Error(DURIN_INTERNAL_MESSAGES.busSubscriberLost(why)));
  };

  const ping = () => {
    if (closed || !sub || pingInFlight || sub.status !== 'ready') return;
    pingInFlight = true;
    withTimeout(sub.ping(), commandTimeoutMs)
      .then(() => {
        if (subscribed) markUp();
      }, markDown)
      .finally(() => {
        pingInFlight = false;
      });
  };

  const attachLater = () => {
    reattach = setTimeout(attach, subscriberRetry(++attempts));
    reattach.unref();
  };

  const attach = () => {
    reattach = null;
    if (closed || sub) return;
    const subscriber = (sub = subscriberOf(redis));
    if (!subscriber) {
      markDown(new Error('trpc-durin: the Redis Cluster names no master node'));
      return attachLater();
    }
    if (isCluster(redis)) {
      subscriber.on('ready', () => (attempts = 0));
      subscriber.on('end', () => {
        if (sub !== subscriber || closed) return;
        sub = null;
        attachLater();
      });
    }
    subscriber.on('ready', subscribe);
    subscriber.on('close', lost('closed'));
    subscriber.on('reconnecting', lost('is reconnecting'));
    subscriber.on('error', (error: unknown) => markDown(error));
    subscriber.on('message', (from: string, payload: string) => {
      if (from !== channel || closed) return;
      const envelope = decodeEnvelope(payload);
      if (envelope && envelope.from !== id) link?.deliver(envelope.message);
    });
    // Now as well as on every `ready`: a lazy client (lazyConnect) connects on its first command.
    subscribe();
  };

  // When the app ends its own client (its shutdown, which may forget durin.close()), the bus can
  // no longer publish: it ends its subscriber too, so that connection does not keep the process alive.
  const appClientEnded = () => void bus.close();

  const bus: RedisCacheBus = {
    channel,
    get healthy() {
      return healthy;
    },
    connect(next) {
      if (link || closed) throw new Error(DURIN_INTERNAL_MESSAGES.busConnectedTwice);
      link = next;
      // A Cluster names its nodes once it is ready; until then the bus is not healthy.
      if (!isCluster(redis) || redis.status === 'ready') attach();
      else {
        redis.once('ready', attach);
        if (redis.status === 'wait') redis.connect().catch(markDown); // lazyConnect
      }
      timer = setInterval(ping, pingIntervalMs);
      timer.unref();
      redis.once('end', appClientEnded);
    },
    publish(message) {
      if (!closed) send(message);
    },
    async close() {
      if (closed) return;
      closed = true;
      healthy = false;
      link = null;
      if (isCluster(redis)) redis.off('ready', attach);
      redis.off('end', appClientEnded);
      if (timer) clearInterval(timer);
      if (reattach) clearTimeout(reattach);
      // What this process published reaches the others before it goes, within the command timeout.
      if (inFlight.size > 0) await withTimeout(Promise.allSettled([...inFlight]), commandTimeoutMs).catch(() => {});
      const subscriber = sub;
      sub = null;
      if (!subscriber || subscriber.status === 'end') return;
      if (subscriber.status === 'reconnecting') {
        // No socket is open, only the reconnect timer, which disconnect() clears; no `end` follows.
        subscriber.disconnect();
        return;
      }
      await new Promise<void>((resolve) => {
        subscriber.once('end', () => resolve());
        subscriber.disconnect();
      });
    },
  };
  return bus;
}

// The names before every public type carried the `Durin` prefix, kept for one release.
/** @deprecated Use `DurinRedisCacheBusOptions`. */
export type RedisCacheBusOptions = DurinRedisCacheBusOptions;
/** @deprecated Use `DurinRedisCacheBus`. */
export type RedisCacheBus = DurinRedisCacheBus;
