// A target of the throughput scenario: what the load generator hits, the process whose CPU is counted, and who else is moved off its core.
import type { Redis } from 'ioredis';

/**
 * `bare-undici-proxy`: the engine alternative of issue 7, measured beside the HPM one (information
 * only). `nginx-proxy`: the yardstick of issue 7's stretch target (gateway ≥ 0.5 × nginx).
 */
export type TargetName =
  'upstream' | 'bare-proxy' | 'bare-undici-proxy' | 'nginx-proxy' | 'gateway';

export interface ThroughputTarget {
  readonly name: TargetName;
  /** What the row says the target is. */
  readonly description: string;
  /** The full URL each request asks for. */
  readonly url: string;
  /** The process under test: pinned to the server core, its CPU time read before and after. */
  readonly pid: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The gateway's Redis: its command counters give the round trips per request. */
  readonly redis?: Redis;
}
