// Graceful shutdown of the real process (contract §1): on SIGTERM or SIGINT `node src/main.ts` stops accepting, lets a proxied request in flight finish (up to 10 s), and exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shutdownGraceMs } from '../../src/gateway/start-gateway.ts';
import { reservePort, type PortReservation } from '../support/free-port.ts';
import { startLoopbackServer, type LoopbackServer } from '../support/loopback-server.ts';
import { startOpenIdProvider, type TestOpenIdProvider } from '../support/openid-provider.ts';
import { TestBrowser } from '../support/test-browser.ts';

const mainPath = new URL('../../src/main.ts', import.meta.url).pathname;
/** Large enough to span many socket writes: the whole of it must arrive after the signal. */
const slowBody = 'slow upstream body\n'.repeat(16_384);

/** An upstream that answers `/slow?ms=N` after N ms, and tells the test when a request arrived. */
interface SlowUpstream {
  readonly origin: string;
  /** Resolves at the next request the upstream receives (it was forwarded by the gateway). */
  nextRequest(): Promise<void>;
  close(): Promise<void>;
}

async function startSlowUpstream(): Promise<SlowUpstream> {
  const loopback: LoopbackServer = await startLoopbackServer();
  let arrived: () => void = () => undefined;
  loopback.server.on('request', (request, response) => {
    arrived();
    const milliseconds = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('ms'));
    const timer = setTimeout(() => {
      response.writeHead(200, { 'content-type': 'text/plain' }).end(slowBody);
    }, milliseconds);
    response.once('close', () => clearTimeout(timer));
  });
  return {
    origin: loopback.origin,
    nextRequest: () => new Promise<void>((resolve) => (arrived = resolve)),
    close: loopback.close,
  };
}

/** A gateway process on its own port, one per test: each test ends it with a signal. */
interface GatewayProcess {
  readonly url: string;
  readonly exited: Promise<number | null>;
  signal(name: 'SIGTERM' | 'SIGINT'): void;
  stdout(): string;
}

/**
 * Each port stays bound by a placeholder until its gateway starts: the OpenID provider must know
 * every callback URL up front, and a port left unbound meanwhile could be taken.
 */
const reservations: PortReservation[] = [];
let openIdProvider: TestOpenIdProvider;
let upstream: SlowUpstream;
/** Every process a test started: one that a failed test left running is killed after the file. */
const children: ChildProcess[] = [];

beforeAll(async () => {
  // The provider must know every callback URL up front: one port per test.
  for (let index = 0; index < 4; index += 1) reservations.push(await reservePort());
  openIdProvider = await startOpenIdProvider({
    redirectUris: reservations.map(({ port }) => `http://127.0.0.1:${port}/auth/callback/graph`),
  });
  upstream = await startSlowUpstream();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const reservation of reservations) await reservation.release();
  await upstream?.close();
  await openIdProvider?.close();
});

async function startGatewayProcess(reservation: PortReservation): Promise<GatewayProcess> {
  const url = `http://127.0.0.1:${reservation.port}`;
  await reservation.release();
  const child = spawn(process.execPath, [mainPath], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(reservation.port),
      HOST: '127.0.0.1',
      PUBLIC_URL: url,
      ALLOW_INSECURE_HTTP: 'true',
      SESSION_SECRET: 'process-shutdown-session-secret-0123456789',
      GRAPH_CLIENT_ID: openIdProvider.clientId,
      GRAPH_CLIENT_SECRET: openIdProvider.clientSecret,
      GRAPH_ISSUER: openIdProvider.issuer,
      GRAPH_API_URL: upstream.origin,
      // Longer than the grace, so the grace, not the upstream timeout, ends a request that outlives it.
      UPSTREAM_TIMEOUT_S: '30',
    },
    // No inherited descriptor: a process a failed test left behind must not hold the run's output open.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stderr.resume();
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const deadline = Date.now() + 15_000;
  while (!stdout.includes('gateway listening')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no start: ${stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { url, exited, signal: (name) => child.kill(name), stdout: () => stdout };
}

async function signIn(gateway: GatewayProcess): Promise<TestBrowser> {
  const browser = new TestBrowser();
  const callback = await browser.followUntil(
    `${gateway.url}/auth/login/graph`,
    `${gateway.url}/auth/callback/`,
  );
  expect((await browser.fetch(callback)).status).toBe(302);
  return browser;
}

/** Resolves once the process logged that it received the signal (delivery is asynchronous). */
async function shuttingDown(gateway: GatewayProcess): Promise<void> {
  while (!gateway.stdout().includes('shutting down'))
    await new Promise((resolve) => setTimeout(resolve, 10));
}

/** A fresh TCP connection to the gateway's port: resolves with the error code when refused. */
function connectionError(url: string): Promise<string | null> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(null);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('the gateway process on a signal', () => {
  it.each([
    ['SIGTERM', ['SIGTERM'], 0],
    ['SIGINT', ['SIGINT'], 1],
    // An impatient orchestrator or a double Ctrl-C must not kill the requests being drained.
    ['a second SIGTERM during the drain', ['SIGTERM', 'SIGTERM'], 3],
  ] as const)(
    'on %s lets the in-flight proxied request finish with its full body, refuses new connections, and exits 0',
    async (_name, signals, portIndex) => {
      const gateway = await startGatewayProcess(reservations[portIndex]!);
      const browser = await signIn(gateway);
      const forwarded = upstream.nextRequest();
      const inFlight = browser.fetch(`${gateway.url}/graph/slow?ms=1000`, {
        headers: { 'x-csrf': '1' },
      });
      await forwarded;
      gateway.signal(signals[0]);
      await shuttingDown(gateway);
      for (const signal of signals.slice(1)) gateway.signal(signal);

      expect(await connectionError(gateway.url)).toBe('ECONNREFUSED');
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(slowBody);
      // Once the last response is out, its keep-alive connection does not hold the exit.
      const answeredAt = performance.now();
      expect(await gateway.exited).toBe(0);
      expect(performance.now() - answeredAt).toBeLessThan(1_000);
    },
  );

  it('cuts a request that outlives the grace period and still exits 0 soon after it', async () => {
    const gateway = await startGatewayProcess(reservations[2]!);
    const browser = await signIn(gateway);
    const forwarded = upstream.nextRequest();
    const inFlight = browser
      .fetch(`${gateway.url}/graph/slow?ms=20000`, { headers: { 'x-csrf': '1' } })
      .then(
        (response) => response.status,
        (error: unknown) => error,
      );
    await forwarded;
    const signalledAt = performance.now();
    gateway.signal('SIGTERM');

    expect(await gateway.exited).toBe(0);
    const exitedAfterMs = performance.now() - signalledAt;
    expect(exitedAfterMs).toBeGreaterThanOrEqual(shutdownGraceMs - 100);
    expect(exitedAfterMs).toBeLessThan(shutdownGraceMs + 1_500);
    // The connection was closed under it: no answer, rather than an answer that never comes.
    expect(await inFlight).toBeInstanceOf(Error);
  }, 25_000);
});
