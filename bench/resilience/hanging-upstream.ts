// An upstream that accepts and never answers, under concurrent load: 504 at UPSTREAM_TIMEOUT_S, and every socket the gateway opened to it is closed afterwards.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { startGatewayHarness } from '../../test/support/gateway-harness.ts';
import { startLoopbackServer } from '../../test/support/loopback-server.ts';
import { TestBrowser } from '../../test/support/test-browser.ts';
import {
  countStatuses,
  sessionHeaders,
  summarize,
  timedRequest,
  timeUntil,
  watchForCrashes,
  type LatencySummary,
} from './measure.ts';

export interface HangingUpstreamOptions {
  /** Sessions sending at once; each sends `requestsPerSession` concurrently (the cap is 32). */
  readonly sessions: number;
  readonly requestsPerSession: number;
  /** Bursts, one after the other: sockets leaked by each would add up. */
  readonly bursts: number;
  readonly upstreamTimeoutSeconds: number;
}

export interface BurstResult {
  readonly statuses: Record<string, number>;
  readonly latency: LatencySummary;
  /** Connections the upstream held open at the end of the burst's answers. */
  readonly upstreamConnectionsAtAnswer: number;
  /** Burst answered → the upstream holds no connection of the gateway's. */
  readonly socketsFreedAfterMs: number;
}

export interface HangingUpstreamResult {
  readonly options: HangingUpstreamOptions;
  readonly bursts: BurstResult[];
  /** The most connections the upstream held at once. */
  readonly peakUpstreamConnections: number;
  /** Once the upstream answers again: status of a burst of the same size, and connections it opened. */
  readonly afterwards: {
    readonly statuses: Record<string, number>;
    readonly connectionsOpened: number;
  };
  readonly crashes: number;
}

/** A stand-in upstream: hangs (reads the request, never answers) or answers a small JSON body. */
async function startHangingUpstream() {
  const loopback = await startLoopbackServer();
  const open = new Set<Socket>();
  let peak = 0;
  let opened = 0;
  let hanging = true;
  loopback.server.on('connection', (socket: Socket) => {
    open.add(socket);
    opened += 1;
    peak = Math.max(peak, open.size);
    socket.once('close', () => open.delete(socket));
  });
  loopback.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    if (hanging) return;
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"me"}');
  });
  return {
    origin: loopback.origin,
    openConnections: () => open.size,
    peak: () => peak,
    opened: () => opened,
    answer: () => void (hanging = false),
    close: loopback.close,
  };
}

export async function runHangingUpstream(
  options: HangingUpstreamOptions,
): Promise<HangingUpstreamResult> {
  const upstream = await startHangingUpstream();
  const harness = await startGatewayHarness({
    LOG_LEVEL: 'error',
    GRAPH_API_URL: upstream.origin,
    UPSTREAM_TIMEOUT_S: String(options.upstreamTimeoutSeconds),
  });
  const crashes = watchForCrashes();
  try {
    const headers: Record<string, string>[] = [];
    for (let index = 0; index < options.sessions; index += 1) {
      const browser = new TestBrowser();
      const login = await harness.login(browser);
      if (login.status !== 302) throw new Error(`login failed with ${login.status}`);
      headers.push(sessionHeaders(browser));
    }
    const burst = () =>
      Promise.all(
        headers.flatMap((sessionHeader) =>
          Array.from({ length: options.requestsPerSession }, () =>
            timedRequest(`${harness.url}/graph/v1.0/me`, sessionHeader),
          ),
        ),
      );
    const bursts: BurstResult[] = [];
    for (let round = 0; round < options.bursts; round += 1) {
      const answers = await burst();
      const upstreamConnectionsAtAnswer = upstream.openConnections();
      const socketsFreedAfterMs = await timeUntil(() => upstream.openConnections() === 0, 10_000);
      bursts.push({
        statuses: countStatuses(answers.map((answer) => answer.status)),
        latency: summarize(answers.map((answer) => answer.ms)),
        upstreamConnectionsAtAnswer,
        socketsFreedAfterMs,
      });
    }
    upstream.answer();
    const openedBefore = upstream.opened();
    const answers = await burst();
    return {
      options,
      bursts,
      peakUpstreamConnections: upstream.peak(),
      afterwards: {
        statuses: countStatuses(answers.map((answer) => answer.status)),
        connectionsOpened: upstream.opened() - openedBefore,
      },
      crashes: crashes.stop(),
    };
  } finally {
    crashes.stop();
    await harness.close();
    await upstream.close();
  }
}
