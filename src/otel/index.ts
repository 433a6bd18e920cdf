/**
 * `trpc-durin/otel`: durin's telemetry contract as OpenTelemetry instruments and spans. The only
 * module that imports `@opentelemetry/api`, so an app without it never loads it.
 * @see README "Observability"
 */
import {
  metrics,
  SpanKind,
  SpanStatusCode,
  trace,
  ValueType,
  type Attributes,
  type MeterProvider,
  type ObservableResult,
  type TracerProvider,
} from '@opentelemetry/api';
import { getDurinCode } from '../errors.js';
import type { DurinGaugeSources, DurinTelemetry } from '../core/telemetry.js';

export type { DurinTelemetry } from '../core/telemetry.js';

/** `durinTelemetry`'s options. */
export interface DurinTelemetryOptions {
  /**
   * Where the instruments are created. @default `metrics.getMeterProvider()`: the global one, read
   * when `durinTelemetry()` runs, so register the SDK before that (OpenTelemetry's metrics API has
   * no late-binding proxy, unlike its tracer).
   */
  meterProvider?: MeterProvider | undefined;
  /** Where the spans are created. @default `trace.getTracerProvider()`: the global one */
  tracerProvider?: TracerProvider | undefined;
}

const SCOPE = 'trpc-durin';
// Database lookups take from well under a millisecond (SQLite) to seconds (an overloaded primary).
const LOOKUP_BUCKETS_MS = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
// Client names are set by the app and few; this bound only keeps a misbehaving app from growing the map.
const MAX_CACHED_ATTRIBUTES = 1000;

/**
 * The `telemetry` option of `createDurin`, recording with OpenTelemetry: counters, a histogram,
 * two observable gauges and spans. Metric attributes are low-cardinality only (outcome, client
 * name, cache use, scope, reason, component); a user id reaches spans only, as `user.id`.
 * @see README "Observability"
 */
export function durinTelemetry(options: DurinTelemetryOptions = {}): DurinTelemetry {
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);

  const requests = meter.createCounter('durin.auth.requests', {
    description: 'Requests whose authentication durin settled, by outcome, client and cache use.',
    unit: '{request}',
    valueType: ValueType.INT,
  });
  const lookupDuration = meter.createHistogram('durin.auth.lookup.duration', {
    description: 'Duration of the database lookup of a token (cache hits are not measured).',
    unit: 'ms',
    advice: { explicitBucketBoundaries: LOOKUP_BUCKETS_MS },
  });
  const throttleDecisions = meter.createCounter('durin.throttle.decisions', {
    description: 'Requests a throttle counted, by scope and result.',
    unit: '{decision}',
    valueType: ValueType.INT,
  });
  const issued = meter.createCounter('durin.tokens.issued', {
    description: 'Tokens issued, by client and kind.',
    unit: '{token}',
    valueType: ValueType.INT,
  });
  const revoked = meter.createCounter('durin.tokens.revoked', {
    description: 'Tokens that stopped working, by reason.',
    unit: '{token}',
    valueType: ValueType.INT,
  });
  const degraded = meter.createCounter('durin.degraded', {
    description: 'Outages of a shared component (durin went on in its fallback mode).',
    unit: '{outage}',
    valueType: ValueType.INT,
  });
  const cacheEntries = meter.createObservableGauge('durin.cache.entries', {
    description: 'Verified tokens held by the token cache.',
    unit: '{token}',
    valueType: ValueType.INT,
  });
  const openSubscriptions = meter.createObservableGauge('durin.subscriptions.open', {
    description: 'Open protected subscriptions watching their token.',
    unit: '{subscription}',
    valueType: ValueType.INT,
  });

  // One telemetry may serve several durin instances: the gauges report their sum.
  const sources = new Set<DurinGaugeSources>();
  const sum = (read: (source: DurinGaugeSources) => number) => {
    let total = 0;
    for (const source of sources) total += read(source);
    return total;
  };
  const observeEntries = (result: ObservableResult) => result.observe(sum((source) => source.cacheEntries()));
  const observeOpen = (result: ObservableResult) => result.observe(sum((source) => source.openSubscriptions()));

  // The request counter's attribute sets, made once each: the hot path then allocates nothing for them.
  const requestAttributes = new Map<string, Attributes>();

  return {
    authDecided({ outcome, client, cache }) {
      const key = `${outcome}\u0000${cache}\u0000${client ?? ''}`;
      let attributes = requestAttributes.get(key);
      if (!attributes) {
        if (requestAttributes.size >= MAX_CACHED_ATTRIBUTES) requestAttributes.clear();
        attributes = Object.freeze(client === null ? { outcome, cache } : { outcome, 'durin.client': client, cache });
        requestAttributes.set(key, attributes);
      }
      requests.add(1, attributes);
    },
    lookupDuration(ms) {
      lookupDuration.record(ms);
    },
    throttleDecision({ scope, result }) {
      throttleDecisions.add(1, { scope, result });
    },
    tokensIssued({ client, kind }) {
      issued.add(1, { 'durin.client': client, kind });
    },
    tokensRevoked({ reason, count }) {
      revoked.add(count, { reason });
    },
    degraded({ component }) {
      degraded.add(1, { component });
    },
    span(name, attributes, fn) {
      return tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes: { ...attributes } }, async (span) => {
        try {
          return await fn({ setAttributes: (more) => span.setAttributes({ ...more }) });
        } catch (error) {
          // The error's kind only: a message may quote a driver's SQL or values, never wanted in a trace.
          span.setStatus({ code: SpanStatusCode.ERROR });
          span.setAttribute('error.type', getDurinCode(error) ?? errorName(error));
          throw error;
        } finally {
          span.end();
        }
      });
    },
    observe(source) {
      if (sources.size === 0) {
        cacheEntries.addCallback(observeEntries);
        openSubscriptions.addCallback(observeOpen);
      }
      sources.add(source);
      return () => {
        if (!sources.delete(source) || sources.size > 0) return;
        cacheEntries.removeCallback(observeEntries);
        openSubscriptions.removeCallback(observeOpen);
      };
    },
  };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
