// The sidecar-mode stack for end-to-end tests: a recording app server behind the gateway, a signed-in browser, and probes for what crossed.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.ts';
import { buildGateway } from '../../src/gateway/build-gateway.ts';
import { serveGateway } from '../../src/gateway/http-server.ts';
import { createLogger } from '../../src/observability/logger.ts';
import {
  startRecordingUpstream,
  type RecordedRequest,
  type RecordingUpstream,
} from '../proxy/recording-upstream.ts';
import { delay } from '../proxy/streams.ts';
import { startGatewayHarness, type GatewayHarness } from './gateway-harness.ts';
import { sendRaw, type RawExchange } from './raw-http.ts';
import { freePort } from './free-port.ts';
import { TestBrowser } from './test-browser.ts';

export interface AppUpstreamStack {
  /** The app server stand-in APP_UPSTREAM_URL names; reset before each test. */
  readonly upstream: RecordingUpstream;
  readonly harness: GatewayHarness;
  /** Signed in to Graph: it holds a session cookie. */
  readonly browser: TestBrowser;
  readonly sessionCookieValue: string;
  /** The browser's Graph access token, as Graph received it: the app must never see it. */
  readonly accessToken: string;
}

/** Starts the stack before a file's tests, stops it after them; `use` receives it. */
export function useAppUpstreamStack(use: (stack: AppUpstreamStack) => void): void {
  let stack: AppUpstreamStack | undefined;
  beforeAll(async () => {
    const upstream = await startRecordingUpstream();
    const harness = await startGatewayHarness({ APP_UPSTREAM_URL: upstream.origin });
    const browser = new TestBrowser();
    expect((await harness.login(browser)).status).toBe(302);
    const sessionCookieValue = browser.cookie('127.0.0.1', 'bff-session') ?? '';
    expect(sessionCookieValue).not.toBe('');
    const me = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: { 'x-csrf': '1' } });
    expect(me.status).toBe(200);
    const authorization = harness.graph.requests[0]?.headers.authorization ?? '';
    const accessToken = authorization.slice('Bearer '.length);
    expect(accessToken).not.toBe('');
    stack = { upstream, harness, browser, sessionCookieValue, accessToken };
    use(stack);
  });
  afterAll(async () => {
    await stack?.harness.close();
    await stack?.upstream.close();
  });
  beforeEach(() => {
    stack?.upstream.reset();
  });
}

/** Every header line the app server received, as one text to search for secrets. */
export function receivedText(received: RecordedRequest | undefined): string {
  return (received?.rawHeaders ?? []).join('\n');
}

/** A request sent as raw bytes (fetch would normalise the path or refuse the method). */
export function sendRawRequest(url: string, method: string, path: string): Promise<RawExchange> {
  const { port, host } = new URL(url);
  return sendRaw(
    Number(port),
    `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
  );
}

/** Another gateway on the same stack with some settings changed (an https PUBLIC_URL, a dead app server). */
export async function startVariant(
  harness: GatewayHarness,
  overrides: Partial<GatewayConfig>,
): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const gateway = buildGateway({ ...harness.config, ...overrides, port }, createLogger('silent'));
  const server = serveGateway(gateway, { port, hostname: '127.0.0.1' });
  await server.listening;
  return { url: `http://127.0.0.1:${port}`, stop: () => server.stop(0) };
}

/** The Redis commands sent while `action` runs, between two markers of our own (MONITOR). */
export async function storeCommandsDuring(
  redis: Redis,
  action: () => Promise<void>,
): Promise<string[]> {
  const monitor = await redis.monitor();
  monitor.on('error', () => undefined);
  const seen: { command: string; argument: string }[] = [];
  monitor.on('monitor', (_time: string, args: string[]) => {
    seen.push({ command: String(args[0]).toLowerCase(), argument: String(args[1]) });
  });
  const mark = async (marker: string): Promise<number> => {
    await redis.echo(marker);
    for (;;) {
      const index = seen.findIndex(
        (entry) => entry.command === 'echo' && entry.argument === marker,
      );
      if (index !== -1) return index;
      await delay(5);
    }
  };
  try {
    const start = await mark(`before-${randomUUID()}`);
    await action();
    const end = await mark(`after-${randomUUID()}`);
    return seen.slice(start + 1, end).map((entry) => entry.command);
  } finally {
    monitor.disconnect();
  }
}
