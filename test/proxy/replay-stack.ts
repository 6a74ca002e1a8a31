// The caller's side of an intercepted 401 (contract §4) as the replay tests drive it: a route that refreshes and replays once, recording what it saw, in front of a recording upstream.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { GatewayError, reauthRequired } from '../../src/errors/gateway-error.ts';
import type { ForwardOutcome } from '../../src/proxy/forwarder.ts';
import { readReplayableBody, type ReplayableBody } from '../../src/proxy/replayable-body.ts';
import { startProxyHarness, type ProxyRoute } from './proxy-harness.ts';
import type { ProxyStack } from './proxy-stack.ts';
import { startRecordingUpstream } from './recording-upstream.ts';
import { delay } from './streams.ts';

export const tokenBeforeRefresh = 'token-before-refresh';
export const tokenAfterRefresh = 'token-after-refresh';
export const idleTimeoutMs = 300;

/** What the route saw of the last request: the body decision, each forward's outcome, its error. */
export interface RouteRecord {
  body?: ReplayableBody | null;
  readonly outcomes: ForwardOutcome[];
  error?: unknown;
}

/**
 * The caller's flow (contract §4): read the body if replayable, intercept, "refresh", replay once.
 * `recordInto` receives each request's record as the request starts.
 */
export function refreshAndReplayInto(recordInto: (record: RouteRecord) => void): ProxyRoute {
  return async ({ incoming, outgoing, upstreamPath, forwarder }) => {
    const record: RouteRecord = { outcomes: [] };
    recordInto(record);
    try {
      const body = (record.body = await readReplayableBody(incoming, { idleTimeoutMs }));
      const forward = async (accessToken: string): Promise<ForwardOutcome> => {
        const outcome = await forwarder.forward(incoming, outgoing, {
          upstreamPath,
          accessToken,
          ...(body === null ? {} : { body }),
          interceptUnauthorized: true,
        });
        record.outcomes.push(outcome);
        return outcome;
      };
      if ((await forward(tokenBeforeRefresh)).kind === 'relayed') return undefined;
      if (body === null) {
        throw new GatewayError(503, 'retry', 'send the request again', { retryAfterSeconds: 0 });
      }
      if ((await forward(tokenAfterRefresh)).kind === 'relayed') return undefined;
      throw reauthRequired('graph', 'upstream_rejected', 'graph refused a freshly renewed token');
    } catch (error) {
      record.error = error;
      throw error;
    }
  };
}

/** A recording upstream and, in front of it (base path `/base`), a proxy whose catch-all is `route`. */
export async function startReplayStack(route: ProxyRoute): Promise<ProxyStack> {
  const upstream = await startRecordingUpstream();
  const apiUrl = new URL(`${upstream.origin}/base`);
  return { upstream, harness: await startProxyHarness({ apiUrl, route }) };
}

/** Starts the stack before the file's tests and closes it after all; clears the upstream's record before each. */
export function useReplayStack(route: ProxyRoute, use: (stack: ProxyStack) => void): void {
  let started: ProxyStack | undefined;
  beforeAll(async () => use((started = await startReplayStack(route))));
  afterAll(async () => {
    await started?.harness.close();
    await started?.upstream.close();
  });
  beforeEach(() => started?.upstream.reset());
}

/** Waits, up to 2 s, for what a test cannot await: the route's record after the client gave up. */
export async function eventually(done: () => boolean): Promise<void> {
  for (let waited = 0; !done() && waited < 2_000; waited += 10) await delay(10);
}
