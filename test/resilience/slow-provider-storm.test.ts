// A refresh storm while the authorization server takes 2 s: one token request reaches it, and every waiter gets the result, or a 503 with Retry-After at PROVIDER_TIMEOUT_S; none hangs.
import { describe, expect, it } from 'vitest';
import { runSlowProviderStorm } from '../../bench/resilience/slow-provider-storm.ts';

const requests = 100;
const providerDelayMs = 2_000;
/** Scheduling margin on a loaded 2-core machine. */
const marginMs = 1_500;

describe('a refresh storm at a slow authorization server', () => {
  it('within PROVIDER_TIMEOUT_S: one token request, and every waiter is served with its result', async () => {
    const result = await runSlowProviderStorm({
      requests,
      providerDelayMs,
      providerTimeoutSeconds: 3,
    });
    expect(result.tokenRequests).toBe(1);
    expect(result.statuses).toEqual({ '200': requests });
    expect(result.latency.p50Ms).toBeGreaterThanOrEqual(providerDelayMs - 50);
    expect(result.latency.maxMs).toBeLessThan(providerDelayMs + marginMs);
    expect(result.crashes).toBe(0);
  }, 30_000);

  it('beyond PROVIDER_TIMEOUT_S: one token request, every waiter answered 503 with Retry-After in time, then served', async () => {
    const providerTimeoutMs = 1_000;
    const result = await runSlowProviderStorm({
      requests,
      providerDelayMs,
      providerTimeoutSeconds: providerTimeoutMs / 1000,
    });
    expect(result.tokenRequests).toBe(1);
    expect(result.statuses).toEqual({ '503': requests });
    expect(result.unavailableWithoutRetryAfter).toBe(0);
    expect(result.latency.p50Ms).toBeGreaterThanOrEqual(providerTimeoutMs - 50);
    expect(result.latency.maxMs).toBeLessThan(providerTimeoutMs + marginMs);
    expect(result.afterwardsStatus).toBe(200);
    expect(result.crashes).toBe(0);
  }, 30_000);
});
