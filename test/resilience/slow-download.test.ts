// Two browsers reading a 100 MB download at 1 MB/s, then aborting: the upstream is held back instead of the gateway buffering, and its connections close.
import { describe, expect, it } from 'vitest';
import { mebibyte, runSlowDownload } from '../../bench/resilience/slow-download.ts';

describe('slow readers of a large download', () => {
  it('hold back the upstream (backpressure) and close its connection when they abort', async () => {
    const result = await runSlowDownload({
      sizeBytes: 100 * mebibyte,
      readers: 2,
      bytesPerSecond: mebibyte,
      readForMs: 3_000,
    });
    // Buffering would pull the whole 100 MB from a loopback upstream within a second.
    expect(result.maxHeldPerDownloadMb).toBeLessThan(32);
    expect(result.producedMb).toBeLessThan(2 * 40);
    expect(result.upstreamClosedAfterAbortMs).toBeLessThan(2_000);
    expect(result.upstreamConnectionsLeft).toBe(0);
    expect(result.fullSpeed.mb).toBe(100);
    expect(result.crashes).toBe(0);
  }, 30_000);
});
