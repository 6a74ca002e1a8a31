// Starts the whole stack for an end-to-end test: Redis, the OpenID provider, mock Graph, optionally ServiceNow, and the gateway on loopback.
import { unsealData } from 'iron-session';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import type { GatewayConfig } from '../../src/config/types.ts';
import { buildGateway, type Gateway } from '../../src/gateway/build-gateway.ts';
import { serveGateway } from '../../src/gateway/http-server.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startMockGraph, type MockGraph } from './mock-graph.ts';
import { startOpenIdProvider, type TestOpenIdProvider } from './openid-provider.ts';
import { reservePort } from './free-port.ts';
import { startRedis, type TestRedis } from './redis-server.ts';
import { startServiceNowStandIn, type ServiceNowStandIn } from './servicenow-stand-in.ts';
import type { TestBrowser } from './test-browser.ts';

export const sessionSecret = 'test-session-secret-0123456789-abcdefghij';
/** The session cookie's name when PUBLIC_URL is http, as in these tests. */
export const sessionCookieName = 'bff-session';

/** The session id inside a browser's session cookie, unsealed the way contract §2 says it can be. */
export async function sessionIdOf(browser: TestBrowser): Promise<string> {
  const cookie = browser.cookie('127.0.0.1', sessionCookieName);
  if (cookie === undefined) throw new Error('the browser holds no session cookie');
  const data = await unsealData<{ sid?: string }>(cookie, { password: sessionSecret });
  if (data.sid === undefined) throw new Error('the session cookie did not unseal');
  return data.sid;
}

export interface GatewayHarness {
  /** PUBLIC_URL of the gateway: `http://127.0.0.1:${port}`. */
  readonly url: string;
  readonly redis: TestRedis;
  readonly openIdProvider: TestOpenIdProvider;
  readonly graph: MockGraph;
  /** The ServiceNow stand-in, when the harness was started with `serviceNow: true`. */
  readonly serviceNow: ServiceNowStandIn | null;
  readonly config: GatewayConfig;
  readonly gateway: Gateway;
  /** Every log line the gateway (and its replicas) wrote, as raw JSON text. */
  readonly logs: string[];
  /** The gateway's clock: `advance` moves it forward, so a token expires without waiting for it. */
  readonly clock: { advance(milliseconds: number): void; now(): number };
  /** Signs `browser` in to Graph; resolves with the gateway's answer to the callback. */
  login(browser: TestBrowser, query?: string): Promise<Response>;
  /** Signs `browser` in to ServiceNow (requires `serviceNow: true`). */
  loginServiceNow(browser: TestBrowser, query?: string): Promise<Response>;
  /**
   * A second gateway process in all but name: its own app, store connection and port, the same
   * configuration, Redis and clock. Cookies are per host, so a browser's session works on both.
   */
  startReplica(options?: {
    /** Default true: wait until its store connection is up (false: a replica started during an outage). */
    readonly waitUntilReady?: boolean;
  }): Promise<{ readonly url: string; close(): Promise<void> }>;
  /** Stops the gateway gracefully, as SIGTERM does, leaving the stand-ins running. */
  stop(graceMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Start the ServiceNow stand-in and enable the `servicenow` provider. */
  readonly serviceNow?: boolean;
  /**
   * The authorization server whose tokens mock Graph accepts: the oidc-provider stand-in (default)
   * or a scripted one the test also names in GRAPH_ISSUER.
   */
  readonly graphTokens?: Pick<TestOpenIdProvider, 'tenantId' | 'introspect'>;
  /** Register the gateway's `/auth/backchannel-logout` at the OpenID provider (its ID tokens then carry `sid`). */
  readonly backChannelLogout?: boolean;
}

export async function startGatewayHarness(
  environment: Record<string, string> = {},
  options: HarnessOptions = {},
): Promise<GatewayHarness> {
  // What has started so far, closed in reverse when a later part fails: a half-started stack
  // must not outlive its test file (a stray redis-server, a held port).
  const started: (() => Promise<void>)[] = [];
  try {
    return await startStack(environment, options, started);
  } catch (error) {
    for (const close of started.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

async function startStack(
  environment: Record<string, string>,
  options: HarnessOptions,
  started: (() => Promise<void>)[],
): Promise<GatewayHarness> {
  const redis = await startRedis();
  started.push(() => redis.close());
  // Held until the gateway listens: the OpenID provider must know the callback URL up front.
  const reservation = await reservePort();
  started.push(() => reservation.release());
  const port = reservation.port;
  const url = `http://127.0.0.1:${port}`;
  const openIdProvider = await startOpenIdProvider({
    redirectUris: [`${url}/auth/callback/graph`],
    postLogoutRedirectUris: [`${url}/`],
    // Short-lived like the tokens the refresh logic must handle (Entra: 60-90 minutes).
    accessTokenTtlSeconds: 300,
    ...(options.backChannelLogout === true
      ? { backChannelLogoutUri: `${url}/auth/backchannel-logout` }
      : {}),
  });
  started.push(() => openIdProvider.close());
  const graph = await startMockGraph({ openIdProvider: options.graphTokens ?? openIdProvider });
  started.push(() => graph.close());
  const serviceNow = options.serviceNow
    ? await startServiceNowStandIn({ redirectUris: [`${url}/auth/callback/servicenow`] })
    : null;
  if (serviceNow !== null) started.push(() => serviceNow.close());
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: url,
    SESSION_SECRET: sessionSecret,
    REDIS_URL: redis.url,
    ALLOW_INSECURE_HTTP: 'true',
    LOG_LEVEL: 'trace',
    GRAPH_CLIENT_ID: openIdProvider.clientId,
    GRAPH_CLIENT_SECRET: openIdProvider.clientSecret,
    GRAPH_ISSUER: openIdProvider.issuer,
    GRAPH_API_URL: graph.url,
    PROVIDER_TIMEOUT_S: '3',
    UPSTREAM_TIMEOUT_S: '2',
    ...(serviceNow?.environment() ?? {}),
    ...environment,
  });
  const logs: string[] = [];
  const logger = createLogger(config.logLevel, { write: (line: string) => void logs.push(line) });
  let clockOffsetMs = 0;
  const now = (): number => Date.now() + clockOffsetMs;
  const gateway = buildGateway(config, logger, { now });
  await reservation.release();
  const server = serveGateway(gateway, { port, hostname: '127.0.0.1' });
  started.push(() => server.stop(0));
  await server.listening;
  await untilReady(url);
  const replicas: { close(): Promise<void> }[] = [];
  const signIn = async (browser: TestBrowser, provider: string, query: string) => {
    const callback = await browser.followUntil(
      `${url}/auth/login/${provider}${query}`,
      `${url}/auth/callback/`,
    );
    return browser.fetch(callback);
  };

  return {
    url,
    redis,
    openIdProvider,
    graph,
    serviceNow,
    config,
    gateway,
    logs,
    clock: {
      advance(milliseconds) {
        clockOffsetMs += milliseconds;
      },
      now,
    },
    login: (browser, query = '') => signIn(browser, 'graph', query),
    loginServiceNow: (browser, query = '') => signIn(browser, 'servicenow', query),
    async startReplica({ waitUntilReady = true } = {}) {
      const replicaReservation = await reservePort();
      const replicaPort = replicaReservation.port;
      await replicaReservation.release();
      const replica = serveGateway(buildGateway(config, logger, { now }), {
        port: replicaPort,
        hostname: '127.0.0.1',
      });
      await replica.listening;
      if (waitUntilReady) await untilReady(`http://127.0.0.1:${replicaPort}`);
      const handle = { url: `http://127.0.0.1:${replicaPort}`, close: () => replica.stop(0) };
      replicas.push(handle);
      return handle;
    },
    stop: (graceMs) => server.stop(graceMs),
    async close() {
      for (const replica of replicas) await replica.close();
      await server.stop(0);
      await serviceNow?.close();
      await graph.close();
      await openIdProvider.close();
      await redis.close();
    },
  };
}

/**
 * The store connects in the background and fails fast until then (no offline queue): a test
 * that started at once could meet a 503 it did not cause. Waits for /readyz, at most 10 s.
 */
async function untilReady(gatewayUrl: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await fetch(`${gatewayUrl}/readyz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`the gateway at ${gatewayUrl} never became ready`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Starts the stack before a test file's tests and closes it after them; `use` receives the
 * running harness (a file keeps it in its own `let harness`).
 */
export function useGatewayHarness(
  environment: Record<string, string>,
  use: (harness: GatewayHarness) => void,
  options: HarnessOptions = {},
): void {
  let started: GatewayHarness | undefined;
  beforeAll(async () => {
    started = await startGatewayHarness(environment, options);
    use(started);
  });
  afterAll(async () => {
    await started?.close();
  });
}
