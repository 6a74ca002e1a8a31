// Chooses the load generator: wrk when installed (C, microsecond histogram), else autocannon for throughput and the Node probe for 1-connection latency.
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pinnedCommand } from '../setup/cpu-pinning.ts';
import { runAutocannon } from './autocannon.ts';
import { roundMs, type LoadRequest, type LoadResult } from './load-result.ts';
import { runWrk } from './wrk.ts';

const run = promisify(execFile);
const probeScript = fileURLToPath(new URL('sequential-probe.ts', import.meta.url));

export type GeneratorName = 'wrk' | 'autocannon';

export function wrkIsInstalled(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk prints its usage and exits 1 on --version: it exists when the spawn itself worked.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export function chooseGenerator(requested: string | undefined): GeneratorName {
  if (requested === 'autocannon') return 'autocannon';
  if (requested === 'wrk' || requested === undefined)
    return wrkIsInstalled() ? 'wrk' : 'autocannon';
  throw new Error(`--generator must be wrk or autocannon, got ${requested}`);
}

export function runLoad(generator: GeneratorName, request: LoadRequest): Promise<LoadResult> {
  if (generator === 'wrk') return runWrk(request);
  if (request.connections === 1) return runSequentialProbe(request);
  return runAutocannon(request);
}

async function runSequentialProbe(request: LoadRequest): Promise<LoadResult> {
  const [command, ...commandArguments] = pinnedCommand(request.core, [
    process.execPath,
    '--experimental-strip-types',
    '--no-warnings',
    probeScript,
    '--url',
    request.url,
    '--seconds',
    String(request.durationSeconds),
    '--headers',
    JSON.stringify(request.headers),
  ]);
  const { stdout } = await run(command ?? process.execPath, commandArguments);
  const report = JSON.parse(stdout) as {
    requests: number;
    durationSeconds: number;
    p50: number;
    p99: number;
    max: number;
    non2xx: number;
    errors: number;
  };
  return {
    generator: 'autocannon',
    connections: 1,
    durationSeconds: Math.round(report.durationSeconds * 1000) / 1000,
    requests: report.requests,
    requestsPerSecond: Math.round(report.requests / report.durationSeconds),
    latencyMs: { p50: roundMs(report.p50), p99: roundMs(report.p99), max: roundMs(report.max) },
    non2xx: report.non2xx,
    errors: report.errors,
  };
}
