// How steadily a core runs a busy thread: the share of wall time it lost to stalls over 1 ms (a hypervisor's steal, another tenant), and the longest stall. Run as its own process, pinned.
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '2' } } });
const stallThresholdMs = 1;
const started = performance.now();
const deadline = started + Number(values.seconds) * 1000;
let last = started;
let lostMs = 0;
let longestStallMs = 0;
let stalls = 0;
for (let now = performance.now(); now < deadline; now = performance.now()) {
  const gap = now - last;
  if (gap > stallThresholdMs) {
    lostMs += gap;
    stalls += 1;
    longestStallMs = Math.max(longestStallMs, gap);
  }
  last = now;
}
const wallMs = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({
    seconds: Math.round(wallMs) / 1000,
    lostShare: Math.round((lostMs / wallMs) * 1000) / 1000,
    stalls,
    longestStallMs: Math.round(longestStallMs * 10) / 10,
  })}\n`,
);
