// What every resilience scenario measures with: latency summaries, timed requests, memory samples, crash counters, and the session cookie as a plain header.
import { setTimeout as sleep } from 'node:timers/promises';
import { sessionCookieName } from '../../test/support/gateway-harness.ts';
import type { TestBrowser } from '../../test/support/test-browser.ts';

export { sleep };

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const roundTenth = (value: number): number => Math.round(value * 10) / 10;

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? 0;
}

export function summarize(latenciesMs: readonly number[]): LatencySummary {
  const sorted = [...latenciesMs].sort((first, second) => first - second);
  return {
    count: sorted.length,
    p50Ms: roundTenth(percentile(sorted, 0.5)),
    p99Ms: roundTenth(percentile(sorted, 0.99)),
    maxMs: roundTenth(sorted.at(-1) ?? 0),
  };
}

/** `{ "503": 120, "200": 4 }`: how many answers of each status. */
export function countStatuses(statuses: readonly number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const status of statuses) counts[String(status)] = (counts[String(status)] ?? 0) + 1;
  return counts;
}

export const mebibyte = 1024 * 1024;

export const toMebibytes = (bytes: number): number => roundTenth(bytes / mebibyte);

/** The headers a signed-in SPA sends on a proxied call: its session cookie and the anti-forgery header. */
export function sessionHeaders(browser: TestBrowser): Record<string, string> {
  const cookie = browser.cookie('127.0.0.1', sessionCookieName);
  if (cookie === undefined) throw new Error('the browser holds no session cookie');
  return { cookie: `${sessionCookieName}=${cookie}`, 'x-csrf': '1' };
}

export interface TimedAnswer {
  readonly status: number;
  readonly ms: number;
  readonly startedAt: number;
  readonly retryAfter: string | null;
  readonly type: string | null;
}

/** One request, its body read to the end; a connection failure is status 0 (never a throw). */
export async function timedRequest(
  url: string,
  headers: Record<string, string>,
): Promise<TimedAnswer> {
  const startedAt = performance.now();
  try {
    const response = await fetch(url, { headers });
    const body = await response.text();
    let type: string | null = null;
    if (response.headers.get('content-type') === 'application/problem+json')
      type = (JSON.parse(body) as { type?: string }).type ?? null;
    return {
      status: response.status,
      ms: performance.now() - startedAt,
      startedAt,
      retryAfter: response.headers.get('retry-after'),
      type,
    };
  } catch {
    return {
      status: 0,
      ms: performance.now() - startedAt,
      startedAt,
      retryAfter: null,
      type: null,
    };
  }
}

/** Samples this process's RSS every `intervalMs` until stopped; reports the baseline and the peak. */
export function sampleRss(intervalMs = 50): { stop(): { baselineMb: number; peakMb: number } } {
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return { baselineMb: toMebibytes(baseline), peakMb: toMebibytes(peak) };
    },
  };
}

/**
 * Counts what would end `node src/main.ts`: a rejection nobody handled or an uncaught exception
 * while a scenario runs in this process (the gateway runs in it too).
 */
export function watchForCrashes(): { stop(): number } {
  let count = 0;
  const record = (): void => void (count += 1);
  process.on('unhandledRejection', record);
  process.on('uncaughtExceptionMonitor', record);
  return {
    stop() {
      process.off('unhandledRejection', record);
      process.off('uncaughtExceptionMonitor', record);
      return count;
    },
  };
}

/** Polls `check` every `intervalMs` until it holds; resolves with the milliseconds it took (throws past `timeoutMs`). */
export async function timeUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 10,
): Promise<number> {
  const startedAt = performance.now();
  while (!(await check())) {
    if (performance.now() - startedAt > timeoutMs)
      throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
  return roundTenth(performance.now() - startedAt);
}
