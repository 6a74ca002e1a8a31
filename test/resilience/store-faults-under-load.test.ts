// Redis stalled (SIGSTOP) and then stopped while 16 clients loop and 50 requests/s arrive: 503 within the command timeout, nothing piles up, no crash, and recovery by itself.
import { describe, expect, it } from 'vitest';
import {
  runStoreFaults,
  storeCommandTimeoutMs,
  type StoreFaultsResult,
} from '../../bench/resilience/store-faults.ts';

/** The command timeout plus a margin for a loaded 2-core machine (store-stall.test.ts uses the same). */
const storeBoundMs = storeCommandTimeoutMs + 1_500;
/** Once the fault is known, a request is refused at once: well under a second even on a loaded machine. */
const knownFaultBoundMs = 1_000;
const arrivalsPerSecond = 50;

describe('store faults under steady load', () => {
  let result: StoreFaultsResult;

  it('a stall and an outage are both answered 503 within the bound, without a crash', async () => {
    result = await runStoreFaults({
      clients: 16,
      sessions: 2,
      steadyMs: 500,
      faultMs: 8_000,
      arrivalsPerSecond,
    });
    expect(result.steady.statuses).toEqual({ '200': result.steady.latency.count });
    for (const fault of [result.stall, result.outage]) {
      // Only a request that reached Redis just before the signal may still be served.
      expect(
        Object.keys(fault.statuses).filter((status) => !['200', '503'].includes(status)),
      ).toEqual([]);
      expect(fault.unavailable.count).toBeGreaterThan(50);
      expect(fault.unavailable.maxMs).toBeLessThan(storeBoundMs);
      expect(fault.unavailableOnceKnown.count).toBeGreaterThan(0);
      expect(fault.unavailableOnceKnown.maxMs).toBeLessThan(knownFaultBoundMs);
    }
    // A refused connection is known at once: no request waits for the command timeout.
    expect(result.outage.unavailable.maxMs).toBeLessThan(knownFaultBoundMs);
    expect(result.crashes).toBe(0);
  }, 60_000);

  it('holds no more requests than arrive within one command timeout, and none once the fault is known', () => {
    // Without a bound, a stall would hold every arrival until Redis thawed: 250 here.
    expect(result.stall.maxOutstanding).toBeLessThanOrEqual(
      (arrivalsPerSecond * storeBoundMs) / 1000,
    );
    expect(result.stall.maxOutstandingOnceKnown).toBeLessThanOrEqual(
      (arrivalsPerSecond * knownFaultBoundMs) / 1000,
    );
    expect(result.outage.maxOutstanding).toBeLessThanOrEqual(
      (arrivalsPerSecond * knownFaultBoundMs) / 1000,
    );
  });

  it('recovers without a restart: sessions intact after a stall, session_expired after Redis restarted empty', () => {
    // Reconnection backs off to at most 2 s (redis-store.ts), plus a margin.
    expect(result.stall.recoveryStatus).toBe(200);
    expect(result.stall.recoveryMs).toBeLessThan(3_500);
    expect(result.outage.recoveryStatus).toBe(401);
    expect(result.outage.recoveryMs).toBeLessThan(3_500);
    expect(result.outage.readyAfterMs).toBeLessThan(3_500);
  });
});
