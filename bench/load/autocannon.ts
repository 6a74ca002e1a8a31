// Runs autocannon (npm, the fallback when wrk is absent) as its own process and reads its JSON result; its latency histogram counts whole milliseconds.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { pinnedCommand } from '../setup/cpu-pinning.ts';
import { roundMs, type LoadRequest, type LoadResult } from './load-result.ts';

const run = promisify(execFile);
const autocannonCli = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

interface AutocannonJson {
  duration: number;
  requests: { total: number };
  latency: { p50: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

export async function runAutocannon(request: LoadRequest): Promise<LoadResult> {
  // `name:value` with no space: autocannon splits at the first `:` or `=` (a cookie value holds `=`).
  const headerArguments = Object.entries(request.headers).flatMap(([name, value]) => [
    '-H',
    `${name}:${value}`,
  ]);
  const [command, ...commandArguments] = pinnedCommand(request.core, [
    process.execPath,
    autocannonCli,
    '--json',
    '--no-progress',
    '--connections',
    String(request.connections),
    '--duration',
    String(request.durationSeconds),
    '--timeout',
    '5',
    ...headerArguments,
    request.url,
  ]);
  const { stdout } = await run(command ?? process.execPath, commandArguments, {
    maxBuffer: 16 * 1024 * 1024,
  });
  const report = JSON.parse(stdout) as AutocannonJson;
  return {
    generator: 'autocannon',
    connections: request.connections,
    durationSeconds: report.duration,
    requests: report.requests.total,
    requestsPerSecond: Math.round(report.requests.total / report.duration),
    latencyMs: {
      p50: roundMs(report.latency.p50),
      p99: roundMs(report.latency.p99),
      max: roundMs(report.latency.max),
    },
    non2xx: report.non2xx,
    errors: report.errors + report.timeouts,
  };
}
