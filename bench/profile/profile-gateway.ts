// `npm run bench:profile`: one 64-connection run at a gateway started with `node --cpu-prof`, then its top self-time functions and packages.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chooseGenerator, runLoad } from '../load/load-generator.ts';
import { startListeningChild } from '../setup/bench-process.ts';
import { pinProcess, pinning } from '../setup/cpu-pinning.ts';
import { provideTools } from '../setup/provide-tools.ts';
import { startGatewayStack } from '../targets/gateway-processes.ts';
import { redisServerPid } from '../targets/redis-pid.ts';
import { summariseProfile, type CpuProfile } from './summarise-cpu-profile.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    generator: { type: 'string' },
  },
});
const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
provideTools(log);
const generator = chooseGenerator(values.generator);
const profileDirectory = fileURLToPath(new URL('../results/profiles/', import.meta.url));
await rm(profileDirectory, { recursive: true, force: true });
await mkdir(profileDirectory, { recursive: true });
if (pinning !== null) pinProcess(process.pid, pinning.helperCore);

const upstream = await startListeningChild('bench/targets/fast-upstream.ts');
const stack = await startGatewayStack({
  upstreamUrl: upstream.url,
  nodeArguments: ['--cpu-prof', '--cpu-prof-dir', profileDirectory],
});
try {
  if (pinning !== null) {
    pinProcess(upstream.pid, pinning.helperCore);
    pinProcess(await redisServerPid(stack.redis.client), pinning.helperCore);
    pinProcess(stack.gateway.pid, pinning.serverCore);
  }
  const request = {
    url: `${stack.gateway.url}/graph/v1.0/me`,
    connections: 64,
    headers: stack.requestHeaders,
    core: pinning?.helperCore ?? null,
  };
  await runLoad(generator, { ...request, durationSeconds: Number(values.warmup) });
  const measured = await runLoad(generator, {
    ...request,
    durationSeconds: Number(values.duration),
  });
  log(`profiled run: ${measured.requestsPerSecond} req/s, p50 ${measured.latencyMs.p50} ms`);
} finally {
  // SIGTERM: the gateway drains and exits, and Node writes the profile on the way out.
  await stack.close();
  await upstream.stop();
}
const file = (await readdir(profileDirectory)).find((name) => name.endsWith('.cpuprofile'));
if (file === undefined) throw new Error(`no .cpuprofile in ${profileDirectory}`);
const summary = summariseProfile(
  JSON.parse(await readFile(`${profileDirectory}${file}`, 'utf8')) as CpuProfile,
);
console.table(summary.owners.slice(0, 15));
console.table(summary.functions.slice(0, 30));
const output = new URL('../results/gateway-profile.json', import.meta.url);
await writeFile(
  output,
  `${JSON.stringify({ date: new Date().toISOString(), file, ...summary }, null, 2)}\n`,
);
log(`profile: ${profileDirectory}${file}; summary: ${output.pathname}`);
