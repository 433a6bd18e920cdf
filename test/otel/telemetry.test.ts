import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { durinTelemetry } from '../../src/otel/index.js';
import { hashToken } from '../../src/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { startTestServer, useTestServer, waitError, type TestServer } from '../helpers/server.js';
import { connectRedis, eventually, freePort } from '../helpers/redis.js';
import { unique, useClock } from '../helpers/time.js';

/**
 * `trpc-durin/otel` with the real OpenTelemetry SDK, in-memory: every request over real HTTP is
 * counted once with its outcome, client and cache use; throttles, issued and revoked tokens,
 * outages, the gauges and the spans are recorded; and nothing exported holds a token or a digest.
 */
const clock = useClock();

/** A reader collected on demand (cumulative, as a Prometheus scrape sees it). */
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

interface Telemetry {
  reader: TestReader;
  spans: InMemorySpanExporter;
  telemetry: ReturnType<typeof durinTelemetry>;
}

function sdk(): Telemetry {
  const reader = new TestReader();
  const spans = new InMemorySpanExporter();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  return { reader, spans, telemetry: durinTelemetry({ meterProvider, tracerProvider }) };
}

async function collect(reader: TestReader): Promise<ResourceMetrics> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return resourceMetrics;
}

const label = (attributes: Record<string, unknown>) =>
  Object.keys(attributes)
    .sort()
    .map((key) => `${key}=${String(attributes[key])}`)
    .join(',');

/** Every counter's value, and every histogram's count, keyed `name{attributes}`. */
async function counters(reader: TestReader): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  for (const scope of (await collect(reader)).scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name.endsWith('.entries') || metric.descriptor.name.endsWith('.open')) continue;
      for (const point of metric.dataPoints) {
        const value = typeof point.value === 'number' ? point.value : (point.value as { count: number }).count;
        values.set(`${metric.descriptor.name}{${label(point.attributes)}}`, value);
      }
    }
  }
  return values;
}

/** What `fn` added to the counters: only the series that moved. */
async function added(reader: TestReader, fn: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await counters(reader);
  await fn();
  const after = await counters(reader);
  const moved: Record<string, number> = {};
  for (const [key, value] of after) if (value !== (before.get(key) ?? 0)) moved[key] = value - (before.get(key) ?? 0);
  return moved;
}

async function gauge(reader: TestReader, name: string): Promise<number | undefined> {
  for (const scope of (await collect(reader)).scopeMetrics) {
    const metric = scope.metrics.find((m) => m.descriptor.name === name);
    if (metric) return metric.dataPoints.reduce((total, point) => total + (point.value as number), 0);
  }
  return undefined;
}

const randomToken = () => randomBytes(32).toString('hex');

describe('durinTelemetry over HTTP', () => {
  const otel = sdk();
  let app: TestApp;
  let uncached: TestServer;
  let cached: TestServer;
  /** Every token and digest a request in this file carried: none may reach an export. */
  const secrets = new Set<string>();
  const remember = (token: string) => {
    secrets.add(token);
    secrets.add(hashToken(token));
    return token;
  };

  const env = useTestServer({
    telemetry: otel.telemetry,
    settings: {
      apiAccessClientName: 'otel-api-key',
      loginThrottleRate: '1000/h',
      defaultThrottleRate: '1000/h',
      lastUsedUpdateInterval: null,
    },
  });
  beforeAll(async () => {
    ({ app, server: uncached } = env);
    await app.durin.clients.create({ name: 'otel-api-key' });
    // A second, cached server on the same app.
    cached = await startTestServer(app, { cached: true });
  });
  afterEach(() => {
    otel.spans.reset();
  });
  // Before the app's own teardown (after hooks run last-registered first): the cached server, then durin.
  afterAll(async () => {
    await cached.close();
    await app.durin.close();
  });

  async function login(options: { throttleRate?: string } = {}) {
    const client = await app.durin.clients.create({ name: unique('web'), ...options });
    const user = await app.createUser({ username: unique('ann') });
    const { token } = await uncached.client().auth.login.mutate({ username: user.username, password: 'hunter2', client: client.name });
    return { client: client.name, user, token: remember(token) };
  }

  test('login counts an anonymous request, a login throttle decision and a session issued to its client', async () => {
    const client = await app.durin.clients.create({ name: unique('web') });
    const user = await app.createUser({ username: unique('ann') });
    const moved = await added(otel.reader, async () => {
      remember((await uncached.client().auth.login.mutate({ username: user.username, password: 'hunter2', client: client.name })).token);
    });
    expect(moved).toEqual({
      'durin.auth.requests{cache=none,outcome=anonymous}': 1,
      'durin.throttle.decisions{result=allowed,scope=login}': 1,
      [`durin.tokens.issued{durin.client=${client.name},kind=session}`]: 1,
    });
  });

  test('the uncached context counts ok, invalid, malformed and anonymous, with cache "none" and one lookup timed per query', async () => {
    const { client, token } = await login();
    const moved = await added(otel.reader, async () => {
      await uncached.client(token).me.query();
      await waitError(uncached.client(remember(randomToken())).me.query());
      await waitError(uncached.client('x'.repeat(300)).me.query());
      await waitError(uncached.client(null, { authorization: 'Token two words' }).me.query());
      await waitError(uncached.client(null, { authorization: 'Token' }).me.query());
      await uncached.client().hello.query();
    });
    expect(moved).toEqual({
      [`durin.auth.requests{cache=none,durin.client=${client},outcome=ok}`]: 1,
      'durin.auth.requests{cache=none,outcome=invalid}': 2,
      'durin.auth.requests{cache=none,outcome=malformed}': 2,
      'durin.auth.requests{cache=none,outcome=anonymous}': 1,
      // the valid token and the random one went to the database; the overlong one and the bad headers did not
      'durin.auth.lookup.duration{}': 2,
    });
  });

  test('the cached context counts a miss, then hits that time no lookup', async () => {
    const { client, token } = await login();
    const moved = await added(otel.reader, async () => {
      await cached.client(token).me.query();
      await cached.client(token).me.query();
      await cached.client(token).me.query();
      await waitError(cached.client(remember(randomToken())).me.query());
    });
    expect(moved).toEqual({
      [`durin.auth.requests{cache=miss,durin.client=${client},outcome=ok}`]: 1,
      [`durin.auth.requests{cache=hit,durin.client=${client},outcome=ok}`]: 2,
      'durin.auth.requests{cache=miss,outcome=invalid}': 1,
      'durin.auth.lookup.duration{}': 2,
    });
  });

  test('throttle decisions are counted by scope and result', async () => {
    const slow = await login({ throttleRate: '1/h' });
    const moved = await added(otel.reader, async () => {
      await cached.client(slow.token).throttled.query();
      await waitError(cached.client(slow.token).throttled.query());
      await cached.client().publicThrottled.query();
    });
    expect(moved).toMatchObject({
      'durin.throttle.decisions{result=allowed,scope=anonymous}': 1,
      'durin.throttle.decisions{result=allowed,scope=user_client}': 1,
      'durin.throttle.decisions{result=throttled,scope=user_client}': 1,
    });
  });

  test('tokens issued and revoked are counted by kind and by reason', async () => {
    const { client, token } = await login();
    const { user } = await login();
    const moved = await added(otel.reader, async () => {
      remember((await uncached.client(token).auth.apiAccess.create.mutate()).token);
      await uncached.client(token).auth.apiAccess.revoke.mutate();
      // a second login on the same client rotates the token
      remember((await uncached.client().auth.login.mutate({ username: user.username, password: 'hunter2', client })).token);
      await uncached.client(token).auth.logout.mutate();
    });
    expect(moved).toMatchObject({
      'durin.tokens.issued{durin.client=otel-api-key,kind=apiKey}': 1,
      [`durin.tokens.issued{durin.client=${client},kind=session}`]: 1,
      'durin.tokens.revoked{reason=apiAccessRevoked}': 1,
      'durin.tokens.revoked{reason=logout}': 1,
    });
    expect(Object.keys(moved).some((key) => key.startsWith('durin.tokens.revoked{reason=rotated}'))).toBe(false);
    await uncached
      .client()
      .auth.login.mutate({ username: user.username, password: 'hunter2', client })
      .then((out) => remember(out.token));
    expect((await counters(otel.reader)).get('durin.tokens.revoked{reason=rotated}')).toBe(1);
  });

  test('the cache gauge counts the verified tokens the cache holds', async () => {
    app.durin.cache.clear();
    expect(await gauge(otel.reader, 'durin.cache.entries')).toBe(0);
    const a = await login();
    const b = await login();
    await cached.client(a.token).me.query();
    await cached.client(b.token).me.query();
    await cached.client(b.token).me.query();
    await waitError(cached.client(remember(randomToken())).me.query());
    expect(await gauge(otel.reader, 'durin.cache.entries')).toBe(2);
    await cached.client(a.token).auth.logout.mutate();
    expect(await gauge(otel.reader, 'durin.cache.entries')).toBe(1);
    expect(await gauge(otel.reader, 'durin.subscriptions.open')).toBe(app.durin.subscriptions.open);
  });

  test('login, refresh, logout and revoke run in spans carrying user.id, session.id and durin.client', async () => {
    const { client, user, token } = await login();
    const row = await app.durin.models.AuthToken.findOne({ where: { tokenHash: hashToken(token) } });
    const session = { 'user.id': String(user.id), 'session.id': String(row!.id), 'durin.client': client };
    const loginSpan = otel.spans
      .getFinishedSpans()
      .find((span) => span.name === 'durin.login' && span.attributes['session.id'] === session['session.id']);
    expect(loginSpan?.attributes).toEqual(session);

    otel.spans.reset();
    await cached.client(token).auth.refresh.mutate();
    const second = await login();
    const secondRow = await app.durin.models.AuthToken.findOne({ where: { tokenHash: hashToken(second.token) } });
    await uncached.client(second.token).auth.sessions.list.query();
    await cached.client(token).auth.logout.mutate();
    const names = otel.spans.getFinishedSpans().map((span) => span.name);
    expect(names).toContain('durin.refresh');
    expect(names).toContain('durin.logout');
    const refresh = otel.spans.getFinishedSpans().find((span) => span.name === 'durin.refresh');
    expect(refresh?.attributes).toEqual(session);
    const authenticate = otel.spans.getFinishedSpans().filter((span) => span.name === 'durin.authenticate');
    // the refresh's miss, the uncached list; the logout after the refresh is a miss again (renewal evicts)
    expect(authenticate.map((span) => span.attributes['session.id'])).toEqual([
      session['session.id'],
      String(secondRow!.id),
      session['session.id'],
    ]);
    expect(authenticate[0]!.attributes).toEqual(session);
  });

  test('a cache hit opens no durin.authenticate span; a revocation runs in durin.revoke', async () => {
    const { user, token } = await login();
    const other = await login();
    const mine = await app.durin.models.AuthToken.findOne({ where: { tokenHash: hashToken(token) } });
    await cached.client(token).me.query();
    otel.spans.reset();
    await cached.client(token).me.query();
    expect(otel.spans.getFinishedSpans()).toEqual([]);
    // another session of the same user, revoked from this one
    const second = remember(
      (await uncached.client().auth.login.mutate({ username: user.username, password: 'hunter2', client: other.client })).token,
    );
    const secondRow = await app.durin.models.AuthToken.findOne({ where: { tokenHash: hashToken(second) } });
    otel.spans.reset();
    await cached.client(token).auth.sessions.revoke.mutate({ id: Number(secondRow!.id) });
    const revoke = otel.spans.getFinishedSpans().find((span) => span.name === 'durin.revoke');
    expect(revoke?.attributes).toMatchObject({ 'user.id': String(user.id), 'session.id': String(mine!.id) });
  });

  test('a failing procedure marks its span as an error with the error kind only', async () => {
    const { client } = await login();
    const user = await app.createUser({ username: unique('ann') });
    otel.spans.reset();
    await waitError(uncached.client().auth.login.mutate({ username: user.username, password: 'wrong', client }));
    const [span] = otel.spans.getFinishedSpans().filter((s) => s.name === 'durin.login');
    expect(span?.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(span?.attributes['error.type']).toBe('INVALID_CREDENTIALS');
  });

  test('no exported metric or span holds a token, a digest, a password or an IP', async () => {
    // Traffic of every kind first, so the exports are not empty.
    const { token } = await login();
    await cached.client(token).me.query();
    await uncached.client(token).auth.sessions.list.query();
    await cached.client(token).auth.refresh.mutate();
    await cached.client(token).auth.logout.mutate();
    const metrics = JSON.stringify(await collect(otel.reader));
    const spans = JSON.stringify(
      otel.spans
        .getFinishedSpans()
        .map((span) => ({ name: span.name, attributes: span.attributes, status: span.status, events: span.events })),
    );
    expect(metrics).toContain('durin.auth.requests');
    expect(spans).toContain('durin.logout');
    expect(secrets.size).toBeGreaterThan(20);
    for (const secret of secrets) {
      expect(metrics).not.toContain(secret);
      expect(spans).not.toContain(secret);
    }
    for (const text of [metrics, spans]) {
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('127.0.0.1');
    }
  });
  // Last: it moves the clock, which the SDK's collection timestamps follow.
  test('expired and inactive are counted as such', async () => {
    const expiring = await login();
    const inactive = await login();
    await inactive.user.update({ isActive: false });
    const moved = await added(otel.reader, async () => {
      await waitError(uncached.client(inactive.token).me.query());
      clock.travel(30 * 86400 * 1000);
      await waitError(uncached.client(expiring.token).me.query());
    });
    expect(moved).toMatchObject({
      'durin.auth.requests{cache=none,outcome=inactive}': 1,
      'durin.auth.requests{cache=none,outcome=expired}': 1,
    });
  });
});

describe('durinTelemetry with a cross-process bus that is down', () => {
  test('the cached context bypasses its cache, counted as "bypass", and the outage as durin.degraded', async () => {
    const otel = sdk();
    const port = await freePort();
    const redis = connectRedis(`redis://127.0.0.1:${port}`, { retryStrategy: () => 50, maxRetriesPerRequest: 0 });
    const { redisCacheBus } = await import('../../src/redis/index.js');
    const app = await createTestApp({ telemetry: otel.telemetry, cacheBus: redisCacheBus(redis, { prefix: `${unique('otel')}:` }) });
    const server = await startTestServer(app, { cached: true });
    try {
      const client = await app.durin.clients.create({ name: unique('web') });
      const user = await app.createUser();
      const { token } = await server.client().auth.login.mutate({ username: user.username, password: 'hunter2', client: client.name });
      const moved = await added(otel.reader, async () => {
        await server.client(token).me.query();
        await server.client(token).me.query();
      });
      expect(moved).toMatchObject({ [`durin.auth.requests{cache=bypass,durin.client=${client.name},outcome=ok}`]: 2 });
      await eventually(async () => (await counters(otel.reader)).get('durin.degraded{component=cacheBus}') === 1, 5000, 'durin.degraded');
    } finally {
      await server.close();
      await app.durin.close();
      redis.disconnect();
      await app.close();
    }
  });
});
