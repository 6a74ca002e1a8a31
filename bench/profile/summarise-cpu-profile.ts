// Summarises a V8 .cpuprofile (node --cpu-prof): the functions with the most self time, and the share of each package, for one profiled run.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  readonly name: string;
  readonly milliseconds: number;
  readonly share: number;
}

/** `node_modules/<package>`, `src/<folder>`, `node:<internal>`, or the V8 pseudo-frame's name. */
function ownerOf(url: string, functionName: string): string {
  if (url === '') return `(${functionName || 'native'})`;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency !== null) return dependency[1] ?? url;
  const source = /\/(src\/[^/]+)\//.exec(url);
  if (source !== null) return source[1] ?? url;
  if (url.startsWith('node:')) return url;
  return url.replace(/^.*\//, '');
}

export function summariseProfile(profile: CpuProfile): {
  functions: SelfTime[];
  owners: SelfTime[];
} {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicroseconds = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfMicroseconds.set(id, (selfMicroseconds.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const total = [...selfMicroseconds.values()].reduce((sum, value) => sum + value, 0);
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  for (const [id, microseconds] of selfMicroseconds) {
    const frame = nodes.get(id)?.callFrame;
    if (frame === undefined) continue;
    const file = frame.url.replace(/^.*\/(node_modules|src)\//, '$1/');
    const name = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + microseconds);
    const owner = ownerOf(frame.url, frame.functionName);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + microseconds);
  }
  const ranked = (entries: Map<string, number>): SelfTime[] =>
    [...entries]
      .sort((first, second) => second[1] - first[1])
      .map(([name, microseconds]) => ({
        name,
        milliseconds: Math.round(microseconds / 1000),
        share: Math.round((microseconds / total) * 1000) / 10,
      }));
  return { functions: ranked(byFunction), owners: ranked(byOwner) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '30' } },
  });
  const path = positionals[0];
  if (path === undefined) throw new Error('usage: summarise-cpu-profile.ts <file.cpuprofile>');
  const summary = summariseProfile(JSON.parse(await readFile(path, 'utf8')) as CpuProfile);
  console.table(summary.owners.slice(0, 15));
  console.table(summary.functions.slice(0, Number(values.top)));
}
