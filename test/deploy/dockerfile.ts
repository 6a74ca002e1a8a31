// A small reader of the Dockerfile and .dockerignore, so the image test replays the file as written.
// @see https://docs.docker.com/reference/dockerfile/ and https://docs.docker.com/build/concepts/context/#dockerignore-files

export interface Instruction {
  readonly keyword: string;
  readonly text: string;
}

export interface Stage {
  readonly name: string;
  readonly base: string;
  readonly instructions: readonly Instruction[];
}

/** Stages in file order; comments dropped, `\` continuations joined. */
export function parseDockerfile(source: string): Stage[] {
  const logicalLines = source
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const stages: { name: string; base: string; instructions: Instruction[] }[] = [];
  for (const line of logicalLines) {
    const match = /^(\w+)\s+(.*)$/.exec(line);
    if (match === null) throw new Error(`unreadable Dockerfile line: ${line}`);
    const keyword = match[1]!.toUpperCase();
    const text = match[2]!;
    if (keyword === 'FROM') {
      const [base = '', , name] = text.split(/\s+/);
      stages.push({ name: name ?? String(stages.length), base, instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (stage === undefined) throw new Error(`${keyword} before any FROM`);
      stage.instructions.push({ keyword, text });
    }
  }
  return stages;
}

export function stageNamed(stages: readonly Stage[], name: string): Stage {
  const stage = stages.find((candidate) => candidate.name === name);
  if (stage === undefined) throw new Error(`the Dockerfile has no stage named ${name}`);
  return stage;
}

export function instructionsOf(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((item) => item.keyword === keyword).map((item) => item.text);
}

/** The exec form (a JSON array) as is; the shell form as Docker runs it. */
export function commandOf(text: string): string[] {
  return text.startsWith('[') ? (JSON.parse(text) as string[]) : ['/bin/sh', '-c', text];
}

export function parseCopy(text: string): {
  from: string | null;
  sources: string[];
  destination: string;
} {
  const words = text.split(/\s+/);
  const flags = words.filter((word) => word.startsWith('--'));
  const paths = words.filter((word) => !word.startsWith('--'));
  const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length) ?? null;
  const destination = paths.pop();
  if (destination === undefined || paths.length === 0) throw new Error(`bad COPY: ${text}`);
  return { from, sources: paths, destination };
}

/** `HEALTHCHECK [--option=value …] CMD …`: the command Docker runs, or null for `NONE`. */
export function parseHealthcheck(text: string): string[] | null {
  const match = /^(?:--\S+\s+)*CMD\s+(.*)$/.exec(text);
  return match === null ? null : commandOf(match[1]!);
}

/** `ENV A=1 B="two"`, legacy `ENV A 1`, and `ARG NAME[=default]`, as [name, value] pairs. */
export function parseAssignments(text: string): [string, string][] {
  const legacy = /^(\w+)\s+([^=]*)$/.exec(text);
  if (legacy !== null) return [[legacy[1]!, legacy[2]!.trim()]];
  const pairs: [string, string][] = [];
  for (const match of text.matchAll(/(\w+)(?:=("(?:[^"\\]|\\.)*"|'[^']*'|\S*))?/g)) {
    const raw = match[2] ?? '';
    pairs.push([match[1]!, /^["']/.test(raw) ? raw.slice(1, -1) : raw]);
  }
  return pairs;
}

/** The variables a stage's ENV lines set, in order (a later line wins). */
export function environmentOf(stage: Stage): Record<string, string> {
  return Object.fromEntries(instructionsOf(stage, 'ENV').flatMap(parseAssignments));
}

/**
 * `.dockerignore` as Docker applies it: patterns in order, the last match wins, `!` re-includes, a
 * pattern matching a parent folder matches everything in it, `**` crosses folders.
 * Returns whether a context-relative path (`src/main.ts`) stays out of the build context.
 */
export function dockerignoreMatcher(source: string): (path: string) => boolean {
  const rules = source
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const pattern = (include ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      return { include, pattern: globToRegExp(pattern) };
    });
  return (path) => {
    const parts = path.split('/');
    const prefixes = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
    let excluded = false;
    for (const rule of rules) {
      if (prefixes.some((prefix) => rule.pattern.test(prefix))) excluded = !rule.include;
    }
    return excluded;
  };
}

function globToRegExp(pattern: string): RegExp {
  let expression = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const character = pattern[index]!;
    if (pattern.startsWith('**/', index)) {
      expression += '(?:.*/)?';
      index += 2;
    } else if (pattern.startsWith('**', index)) {
      expression += '.*';
      index += 1;
    } else if (character === '*') expression += '[^/]*';
    else if (character === '?') expression += '[^/]';
    else expression += character.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${expression}$`);
}
