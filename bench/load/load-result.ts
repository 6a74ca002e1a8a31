// What one load-generator run reports, whichever generator ran it.

export interface LoadResult {
  readonly generator: 'wrk' | 'autocannon';
  readonly connections: number;
  readonly durationSeconds: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Responses that were not 2xx (wrk counts status ≥ 400; 3xx never happens on these paths). */
  readonly non2xx: number;
  /** Connect, read, write errors and timeouts. */
  readonly errors: number;
}

export interface LoadRequest {
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The CPU the generator runs on (taskset), when pinning is available. */
  readonly core: number | null;
}

/** Rounds to microseconds, for milliseconds read from a histogram. */
export function roundMs(milliseconds: number): number {
  return Math.round(milliseconds * 1000) / 1000;
}
