// One connection, one request at a time, timed in microseconds: the 1-connection latency probe when wrk is absent (autocannon's histogram counts whole milliseconds). Run as its own process.
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    seconds: { type: 'string', default: '3' },
    headers: { type: 'string', default: '{}' },
  },
});
if (values.url === undefined) throw new Error('--url must name the target');
const target = new URL(values.url);
const headers = JSON.parse(values.headers) as Record<string, string>;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One request: its latency in ms, or -1 when the answer was not 200. */
async function once(): Promise<number> {
  const sent = process.hrtime.bigint();
  const status = await new Promise<number>((resolve, reject) => {
    const outgoing = request(target, { agent, headers }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
    });
    outgoing.once('error', reject);
    outgoing.end();
  });
  return status === 200 ? Number(process.hrtime.bigint() - sent) / 1e6 : -1;
}

const latenciesMs: number[] = [];
let non2xx = 0;
let errors = 0;
const started = performance.now();
const deadline = started + Number(values.seconds) * 1000;
while (performance.now() < deadline) {
  const latency = await once().catch(() => null);
  if (latency === null) errors += 1;
  else if (latency < 0) non2xx += 1;
  else latenciesMs.push(latency);
}
const durationSeconds = (performance.now() - started) / 1000;
latenciesMs.sort((first, second) => first - second);
const at = (fraction: number): number =>
  latenciesMs[Math.min(latenciesMs.length - 1, Math.ceil(fraction * latenciesMs.length) - 1)] ?? 0;
agent.destroy();
process.stdout.write(
  `${JSON.stringify({
    requests: latenciesMs.length + non2xx,
    durationSeconds,
    p50: at(0.5),
    p99: at(0.99),
    max: latenciesMs.at(-1) ?? 0,
    non2xx,
    errors,
  })}\n`,
);
