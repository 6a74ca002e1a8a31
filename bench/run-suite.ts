// `npm run bench`: starts the upstream stand-in, the bare proxies (http-proxy-middleware and undici), nginx as a proxy (when installed or installable) and the real gateway (Redis, IdP, a signed-in session), runs every scenario, prints the table and writes bench/results/latest.json.
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { chooseGenerator } from './load/load-generator.ts';
import { measureSteadiness } from './measure/machine-steadiness.ts';
import { countRoundTrips } from './measure/redis-round-trips.ts';
import { formatReport } from './report/print-report.ts';
import { describeMachine } from './report/machine.ts';
import type { SuiteResult } from './report/suite-result.ts';
import { checkTargets } from './report/target-checks.ts';
import { runRefreshStorm } from './scenarios/refresh-storm-run.ts';
import { measureStreamingMemory } from './scenarios/streaming-memory.ts';
import { measureThroughput } from './scenarios/throughput.ts';
import { measureTwoGateways } from './scenarios/two-gateways.ts';
import { spawnTypeScript, startListeningChild } from './setup/bench-process.ts';
import { pinProcess, pinning } from './setup/cpu-pinning.ts';
import { provideNginx } from './setup/provide-nginx.ts';
import { provideTools } from './setup/provide-tools.ts';
import { startGatewayStack } from './targets/gateway-processes.ts';
import { startNginxProxy } from './targets/nginx-proxy.ts';
import { redisServerPid } from './targets/redis-pid.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    'latency-duration': { type: 'string', default: '4' },
    generator: { type: 'string' },
    /** Leave out the scenarios after throughput (a quicker look at the hot path). */
    'throughput-only': { type: 'boolean', default: false },
  },
});
const settings = {
  connections: 64,
  runs: Number(values.runs),
  warmupSeconds: Number(values.warmup),
  durationSeconds: Number(values.duration),
  latencySeconds: Number(values['latency-duration']),
};
const everything = !values['throughput-only'];

const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
const suiteStarted = performance.now();
provideTools(log);
const nginx = await provideNginx(log);
const generator = chooseGenerator(values.generator);
// The runner itself (and the IdP it hosts) stays off the server core.
if (pinning !== null) pinProcess(process.pid, pinning.helperCore);

const steadiness = await measureSteadiness(2);
log(`machine steadiness: ${JSON.stringify(steadiness)}`);
const upstream = await startListeningChild('bench/targets/fast-upstream.ts');
const bareProxy = await startListeningChild('bench/targets/bare-proxy.ts', {
  BENCH_UPSTREAM_URL: upstream.url,
});
const bareUndiciProxy = await startListeningChild('bench/targets/bare-undici-proxy.ts', {
  BENCH_UPSTREAM_URL: upstream.url,
});
// Null when nginx is missing or did not start: the suite runs on, its rows say not measured.
const nginxProxy = nginx === null ? null : await startNginxProxy(nginx.path, upstream.url, log);
const stack = await startGatewayStack({ upstreamUrl: upstream.url });
let result: SuiteResult;
try {
  const redisPid = await redisServerPid(stack.redis.client);
  const gatewayMeUrl = `${stack.gateway.url}/graph/v1.0/me`;
  const throughput = await measureThroughput(
    [
      {
        name: 'upstream',
        description: 'direct upstream',
        url: `${upstream.url}/v1.0/me`,
        pid: upstream.pid,
        headers: { authorization: 'Bearer x' },
      },
      {
        name: 'bare-proxy',
        description: 'bare Hono + HPM proxy',
        url: `${bareProxy.url}/graph/v1.0/me`,
        pid: bareProxy.pid,
        headers: {},
      },
      {
        name: 'bare-undici-proxy',
        description: 'bare Hono + undici stream() proxy',
        url: `${bareUndiciProxy.url}/graph/v1.0/me`,
        pid: bareUndiciProxy.pid,
        headers: {},
      },
      ...(nginxProxy === null
        ? []
        : [
            {
              name: 'nginx-proxy' as const,
              description: 'nginx proxy',
              url: `${nginxProxy.url}/graph/v1.0/me`,
              pid: nginxProxy.pid,
              // The fixed bearer is nginx's (proxy_set_header), as it is each bare proxy's.
              headers: {},
            },
          ]),
      {
        name: 'gateway',
        description: 'gateway',
        url: gatewayMeUrl,
        pid: stack.gateway.pid,
        headers: stack.requestHeaders,
        redis: stack.redis.client,
      },
    ],
    { ...settings, generator, helperPids: [upstream.pid, redisPid] },
    log,
  );
  log('Redis round trips: MONITOR over 200 sequential gateway requests');
  const redisRoundTrips = await countRoundTrips(stack.redis.port, 200, async () => {
    const answer = await fetch(gatewayMeUrl, { headers: stack.requestHeaders });
    await answer.arrayBuffer();
    if (answer.status !== 200) throw new Error(`the gateway answered ${answer.status}`);
  });
  const streaming = [];
  if (everything) {
    for (const target of [
      { name: 'gateway', pid: stack.gateway.pid, origin: stack.gateway.url },
      { name: 'bare proxy', pid: bareProxy.pid, origin: bareProxy.url },
    ]) {
      log(`streaming memory: ${target.name}`);
      if (pinning !== null) pinProcess(target.pid, pinning.serverCore);
      if (pinning !== null) pinProcess(upstream.pid, pinning.helperCore);
      const headers = target.name === 'gateway' ? stack.requestHeaders : {};
      const baseUrl = `${target.origin}/graph/v1.0/bench`;
      streaming.push({
        target: target.name,
        phases: await measureStreamingMemory({ ...target, baseUrl, headers }),
      });
    }
  }
  let twoGateways = null;
  if (everything) {
    log('two gateway processes on one Redis');
    const replica = await stack.startReplica();
    twoGateways = await measureTwoGateways(stack, replica, {
      generator,
      connections: settings.connections,
      warmupSeconds: settings.warmupSeconds,
      durationSeconds: settings.durationSeconds,
      pids: [stack.gateway.pid, replica.pid, upstream.pid, redisPid, process.pid],
    });
  }
  const throughputFlagged = throughput.some((target) => target.flagged);
  result = {
    date: new Date().toISOString(),
    machine: {
      ...describeMachine(),
      loadGenerator: generator,
      pinned: pinning !== null,
      nginx: nginxProxy === null ? null : (nginx?.version ?? null),
      steadiness,
    },
    settings,
    throughput,
    redisRoundTrips,
    twoGateways,
    refreshStorm: null,
    streaming,
    checks: [],
    flagged: throughputFlagged || twoGateways?.flagged === true,
    suiteSeconds: 0,
  };
} finally {
  await stack.close();
  await nginxProxy?.stop();
  await bareUndiciProxy.stop();
  await bareProxy.stop();
  await upstream.stop();
}

// Its own stack in its own process (an in-process gateway with a movable clock), after the others stopped.
let refreshStorm = null;
if (everything) {
  log('refresh storm: bench/refresh-storm.ts');
  refreshStorm = await runRefreshStorm(3);
}
const finished: SuiteResult = {
  ...result,
  refreshStorm,
  checks: checkTargets(result.throughput, result.redisRoundTrips, refreshStorm),
  suiteSeconds: Math.round((performance.now() - suiteStarted) / 1000),
};
process.stdout.write(formatReport(finished));
await mkdir(new URL('results/', import.meta.url), { recursive: true });
const output = new URL('results/latest.json', import.meta.url);
await writeFile(output, `${JSON.stringify(finished, null, 2)}\n`);
log(`written to ${output.pathname}; suite finished in ${finished.suiteSeconds} s`);

// Last, in its own process (in-process gateways, faults injected): its own table and JSON.
if (everything) {
  log('resilience: bench/resilience/run.ts');
  const resilience = spawnTypeScript('bench/resilience/run.ts', {});
  const [code] = (await once(resilience.child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`bench/resilience/run.ts exited with ${code}`);
}
