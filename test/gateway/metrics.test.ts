// Prometheus metrics (METRICS_PORT): real traffic through the real gateway shows up in a real scrape, with bounded labels and no secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetricsServer, type MetricsServer } from '../../src/gateway/metrics-server.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createStoreKeys } from '../../src/session/store-keys.ts';
import { delay } from '../proxy/streams.ts';
import {
  sessionIdOf,
  sessionSecret,
  useGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import { labelsOf, sampleValue, scrapeText } from '../support/prometheus-text.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({ TOKEN_REFRESH_SKEW_S: '60' }, (started) => (harness = started));

const csrf = { 'x-csrf': '1' };
/** Past the 300 s access-token lifetime of the stand-in, well inside the 8 h idle timeout. */
const pastExpiryMs = 10 * 60 * 1000;
/** A user of its own, so its name is a value the scrape must never hold. */
const user = 'metricsuser';

let scrapeListener: MetricsServer;
let scrapeUrl: string;
beforeAll(async () => {
  // The harness builds the gateway without startGateway: serve its registry the way startGateway does.
  scrapeListener = startMetricsServer({
    metrics: harness.gateway.dependencies.metrics,
    port: 0,
    host: '127.0.0.1',
    logger: createLogger('silent'),
  });
  scrapeUrl = `http://127.0.0.1:${(await scrapeListener.listening).port}/metrics`;
});
afterAll(async () => {
  await scrapeListener.close();
});

const scrape = (): Promise<string> => scrapeText(scrapeUrl);
const sample = sampleValue;

/** How much each named sample grew while `action` ran. */
async function growth<Key extends string>(
  probes: Record<Key, [string, Record<string, string>?]>,
  action: () => Promise<void>,
): Promise<Record<Key, number>> {
  const before = await scrape();
  await action();
  const after = await scrape();
  const grown = {} as Record<Key, number>;
  for (const [key, [name, labels]] of Object.entries(probes) as [
    Key,
    [string, Record<string, string>?],
  ][]) {
    grown[key] = sample(after, name, labels) - sample(before, name, labels);
  }
  return grown;
}

const requests = (routeGroup: string, statusClass: string): [string, Record<string, string>] => [
  'bff_http_requests_total',
  { route_group: routeGroup, status_class: statusClass },
];
const durations = (routeGroup: string, statusClass: string): [string, Record<string, string>] => [
  'bff_http_request_duration_seconds_count',
  { route_group: routeGroup, status_class: statusClass },
];
const upstream = (statusClass: string): [string, Record<string, string>] => [
  'bff_upstream_duration_seconds_count',
  { provider: 'graph', status_class: statusClass },
];
const refreshes = (outcome: string): [string, Record<string, string>] => [
  'bff_refresh_attempts_total',
  { provider: 'graph', outcome },
];
const reauths = (reason: string): [string, Record<string, string>] => [
  'bff_reauth_responses_total',
  { provider: 'graph', reason },
];

/** Everything secret or personal the scenario saw: none may appear anywhere in a scrape. */
const secrets = new Set<string>();
async function signIn(browser: TestBrowser): Promise<void> {
  expect((await harness.login(browser, `?login_hint=${user}`)).status).toBe(302);
  secrets.add(await sessionIdOf(browser));
  for (const value of browser.cookieValues('127.0.0.1')) secrets.add(value);
}
/** The status of a `/graph/v1.0/me` call, once its whole body has arrived. */
async function me(browser: TestBrowser, headers: Record<string, string> = csrf): Promise<number> {
  const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers });
  await response.text();
  return response.status;
}
/** The status of a plain GET, once its whole body has arrived. */
async function statusOf(url: string): Promise<number> {
  const response = await fetch(url);
  await response.text();
  return response.status;
}

describe('the scrape after real traffic', () => {
  it('counts a login as two auth 3xx answers, timed', async () => {
    const grown = await growth(
      { answers: requests('auth', '3xx'), timed: durations('auth', '3xx') },
      () => signIn(new TestBrowser()),
    );
    expect(grown).toEqual({ answers: 2, timed: 2 }); // the login start and the callback
  });

  it('counts a proxied call as graph 2xx with one upstream observation, and a CSRF refusal as graph 4xx with none', async () => {
    const browser = new TestBrowser();
    await signIn(browser);
    const probes = {
      ok: requests('graph', '2xx'),
      refused: requests('graph', '4xx'),
      upstream2xx: upstream('2xx'),
      upstreamAny: ['bff_upstream_duration_seconds_count'] as [string],
    };
    expect(await growth(probes, async () => expect(await me(browser)).toBe(200))).toEqual({
      ok: 1,
      refused: 0,
      upstream2xx: 1,
      upstreamAny: 1,
    });
    expect(await growth(probes, async () => expect(await me(browser, {})).toBe(403))).toEqual({
      ok: 0,
      refused: 1,
      upstream2xx: 0,
      upstreamAny: 0,
    });
  });

  it('labels a proxied answer with the status the upstream sent, timed to the end of its streamed body', async () => {
    const browser = new TestBrowser();
    await signIn(browser);
    const bodyDelayMs = 300;
    // Headers at once, the body later: the upstream is timed to the headers, the request to the end.
    harness.graph.route('GET', '/v1.0/throttled', (_request, response) => {
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      response.flushHeaders();
      setTimeout(() => response.end('{"error":{"code":"TooManyRequests"}}'), bodyDelayMs);
    });
    const grown = await growth(
      {
        throttled: requests('graph', '4xx'),
        ok: requests('graph', '2xx'),
        upstream4xx: upstream('4xx'),
        requestSeconds: ['bff_http_request_duration_seconds_sum', { route_group: 'graph' }],
        upstreamSeconds: ['bff_upstream_duration_seconds_sum'],
      },
      async () => {
        const response = await browser.fetch(`${harness.url}/graph/v1.0/throttled`, {
          headers: csrf,
        });
        expect(response.status).toBe(429);
        await response.text();
      },
    );
    harness.graph.reset();
    expect(grown).toMatchObject({ throttled: 1, ok: 0, upstream4xx: 1 });
    expect(grown.requestSeconds).toBeGreaterThanOrEqual((bodyDelayMs - 20) / 1000);
    expect(grown.upstreamSeconds).toBeLessThan(bodyDelayMs / 1000);
  });

  it('counts a refresh by clock advance as a success, and requests that waited on it as joined', async () => {
    const browser = new TestBrowser();
    await signIn(browser);
    harness.clock.advance(pastExpiryMs);
    expect(
      await growth({ success: refreshes('success'), joined: refreshes('joined') }, async () => {
        expect(await me(browser)).toBe(200);
      }),
    ).toEqual({ success: 1, joined: 0 });

    harness.clock.advance(pastExpiryMs);
    const concurrent = 20;
    const grown = await growth(
      { success: refreshes('success'), joined: refreshes('joined'), ok: requests('graph', '2xx') },
      async () => {
        const statuses = await Promise.all(Array.from({ length: concurrent }, () => me(browser)));
        expect(statuses).toEqual(Array(concurrent).fill(200));
      },
    );
    expect(grown.success).toBe(1);
    expect(grown.joined).toBeGreaterThan(0);
    expect(grown.success + grown.joined).toBeLessThanOrEqual(concurrent);
    expect(grown.ok).toBe(concurrent);
  });

  it('counts a revoked account as a rejected refresh and a refresh_failed reauth answer', async () => {
    const browser = new TestBrowser();
    await signIn(browser);
    await harness.openIdProvider.revokeAccount(user);
    harness.clock.advance(pastExpiryMs);
    const grown = await growth(
      {
        rejected: refreshes('rejected'),
        reauth: reauths('refresh_failed'),
        anyReauth: ['bff_reauth_responses_total'],
        unauthorized: requests('graph', '4xx'),
      },
      async () => {
        const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ reason: 'refresh_failed' });
      },
    );
    expect(grown).toEqual({ rejected: 1, reauth: 1, anyReauth: 1, unauthorized: 1 });
    // Without a cookie: a reauth of another reason, and no refresh at all.
    expect(
      await growth(
        { noSession: reauths('no_session'), attempts: ['bff_refresh_attempts_total'] },
        async () => expect(await me(new TestBrowser())).toBe(401),
      ),
    ).toEqual({ noSession: 1, attempts: 0 });
  });

  it('observes an upstream that sent no answer as status_class error, and a 451 by its hundreds', async () => {
    const browser = new TestBrowser();
    await signIn(browser);
    harness.graph.route('GET', '/v1.0/hang-up', (request) => void request.socket.destroy());
    harness.graph.route(
      'GET',
      '/v1.0/legal',
      (_request, response) => void response.writeHead(451).end(),
    );
    const grown = await growth(
      {
        noAnswer: upstream('error'),
        unreachable: requests('graph', '5xx'),
        legal: upstream('4xx'),
        legalAnswers: requests('graph', '4xx'),
      },
      async () => {
        const hungUp = await browser.fetch(`${harness.url}/graph/v1.0/hang-up`, { headers: csrf });
        expect(hungUp.status).toBe(502);
        await hungUp.text();
        const legal = await browser.fetch(`${harness.url}/graph/v1.0/legal`, { headers: csrf });
        expect(legal.status).toBe(451);
        await legal.text();
      },
    );
    harness.graph.reset();
    expect(grown).toEqual({ noAnswer: 1, unreachable: 1, legal: 1, legalAnswers: 1 });
  });

  it('observes an upstream 401 the gateway answers itself (refresh, retry, then reauth)', async () => {
    const browser = new TestBrowser();
    await signIn(browser);
    harness.graph.route('GET', '/v1.0/refuses', (_request, response) => {
      response.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
    });
    const grown = await growth(
      { upstream401: upstream('4xx'), reauth: reauths('upstream_rejected') },
      async () => {
        const refused = await browser.fetch(`${harness.url}/graph/v1.0/refuses`, { headers: csrf });
        expect(refused.status).toBe(401);
        await refused.text();
      },
    );
    harness.graph.reset();
    expect(grown.upstream401).toBeGreaterThanOrEqual(1);
    expect(grown.reauth).toBe(1);
  });

  it('counts a refresh another process settled as joined, and one that outwaited PROVIDER_TIMEOUT_S on its lock as unavailable', async () => {
    const browser = new TestBrowser();
    await signIn(browser);
    const lockKey = createStoreKeys(harness.config.redisKeyPrefix).refreshLock(
      await sessionIdOf(browser),
      'graph',
    );
    harness.clock.advance(pastExpiryMs);
    const probes = { joined: refreshes('joined'), unavailable: refreshes('unavailable') };
    // Another process's refresh failed and left its outcome under the lock: this request shares it.
    const settled = 'outcome:{"kind":"unavailable","retryAfterSeconds":1}';
    await harness.redis.client.set(lockKey, settled, 'PX', 10_000);
    expect(await growth(probes, async () => expect(await me(browser)).toBe(503))).toEqual({
      joined: 1,
      unavailable: 0,
    });
    // Another process holds the lock and never finishes within PROVIDER_TIMEOUT_S (3 s here).
    await harness.redis.client.set(lockKey, 'another-process', 'PX', 10_000);
    expect(await growth(probes, async () => expect(await me(browser)).toBe(503))).toEqual({
      joined: 0,
      unavailable: 1,
    });
    await harness.redis.client.del(lockKey);
  });

  it('counts nothing for a request whose browser left before the headers', async () => {
    const browser = new TestBrowser();
    await signIn(browser);
    const grown = await growth(
      { graph: ['bff_http_requests_total', { route_group: 'graph' }] },
      async () => {
        const controller = new AbortController();
        const call = browser
          .fetch(`${harness.url}/graph/v1.0/slow?ms=1000`, {
            headers: csrf,
            signal: controller.signal,
          })
          .catch(() => undefined);
        await delay(300);
        controller.abort();
        await call;
        await delay(100);
      },
    );
    expect(grown.graph).toBe(0);
  });

  it('labels every other path app, matching gateway families by whole segment', async () => {
    const grown = await growth(
      { app: requests('app', '4xx'), auth: ['bff_http_requests_total', { route_group: 'auth' }] },
      async () => expect(await statusOf(`${harness.url}/authors/unknown-page-path`)).toBe(404),
    );
    expect(grown).toEqual({ app: 1, auth: 0 });
  });

  it('counts a store outage as store errors and a graph 5xx', async () => {
    const browser = new TestBrowser();
    await signIn(browser);
    await harness.redis.stop();
    try {
      const grown = await growth(
        {
          storeErrors: ['bff_store_errors_total'],
          unavailable: requests('graph', '5xx'),
          healthUnavailable: requests('health', '5xx'),
        },
        async () => {
          expect(await me(browser)).toBe(503);
          expect(await statusOf(`${harness.url}/readyz`)).toBe(503);
        },
      );
      expect(grown.storeErrors).toBeGreaterThanOrEqual(2); // the session read and the ping
      expect(grown.unavailable).toBe(1);
      expect(grown.healthUnavailable).toBe(1);
    } finally {
      await harness.redis.start();
    }
  });

  it('never holds a session id, cookie, token, secret, user or path, and only known label values', async () => {
    const text = await scrape();
    const account = harness.openIdProvider;
    const forbidden = [
      ...secrets,
      ...account.issuedSecrets,
      account.clientSecret,
      sessionSecret,
      user,
      'Metricsuser',
      `${user}@contoso.example`,
      account.tenantId,
      '/v1.0/me',
      'unknown-page-path',
      '/auth/login',
      '/auth/callback',
      'login_hint',
      '127.0.0.1',
    ];
    expect(secrets.size).toBeGreaterThan(10);
    for (const value of forbidden) expect(text, value).not.toContain(value);

    const allowed: Record<string, ReadonlySet<string>> = {
      route_group: new Set(['auth', 'graph', 'servicenow', 'health', 'app']),
      status_class: new Set(['2xx', '3xx', '4xx', '5xx', 'error']),
      provider: new Set(['graph', 'servicenow']),
      outcome: new Set(['success', 'rejected', 'unavailable', 'misconfigured', 'joined']),
      reason: new Set([
        'no_session',
        'session_expired',
        'not_connected',
        'refresh_failed',
        'upstream_rejected',
        'claims_challenge',
      ]),
    };
    const bffLines = text.split('\n').filter((line) => line.startsWith('bff_'));
    expect(bffLines.length).toBeGreaterThan(20);
    for (const line of bffLines) {
      for (const [label, value] of labelsOf(/\{(.*)\}/.exec(line)?.[1] ?? '')) {
        if (label === 'le') continue; // histogram bucket bounds
        expect(allowed[label], `label ${label} in ${line}`).toBeDefined();
        expect(allowed[label]?.has(value), `${label}="${value}"`).toBe(true);
      }
    }
  });
});
