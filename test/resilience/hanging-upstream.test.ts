// An upstream that accepts and never answers, 64 requests at a time: each is a 504 at UPSTREAM_TIMEOUT_S and every socket to the upstream is closed after the burst.
import { describe, expect, it } from 'vitest';
import { runHangingUpstream } from '../../bench/resilience/hanging-upstream.ts';

const upstreamTimeoutMs = 1_000;

describe('a hanging upstream under concurrent load', () => {
  it('answers 504 at UPSTREAM_TIMEOUT_S, frees every upstream socket after each burst, and serves once it answers', async () => {
    const result = await runHangingUpstream({
      sessions: 2,
      requestsPerSession: 32,
      bursts: 2,
      upstreamTimeoutSeconds: upstreamTimeoutMs / 1000,
    });
    for (const burst of result.bursts) {
      expect(burst.statuses).toEqual({ '504': 64 });
      expect(burst.latency.p50Ms).toBeGreaterThanOrEqual(upstreamTimeoutMs - 50);
      expect(burst.latency.maxMs).toBeLessThan(upstreamTimeoutMs + 1_500);
      expect(burst.socketsFreedAfterMs).toBeLessThan(2_000);
    }
    // One socket per request at most: the bursts did not add up.
    expect(result.peakUpstreamConnections).toBeLessThanOrEqual(64);
    expect(result.afterwards.statuses).toEqual({ '200': 64 });
    expect(result.crashes).toBe(0);
  }, 30_000);
});
