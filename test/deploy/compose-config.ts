// docker-compose.yml as docker-compose itself reads it (merged, defaults filled in), for the tests that check and replay it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

/** The executable's path on PATH, or null. */
export function onPath(command: string): string | null {
  for (const folder of (process.env.PATH ?? '').split(':')) {
    const candidate = join(folder, command);
    if (folder !== '' && fs.existsSync(candidate)) return candidate;
  }
  return null;
}

/**
 * `docker-compose config` as JSON. Compose v1 prints YAML only; it is a Python program that needs
 * PyYAML, so its own interpreter converts the output. Compose v2 prints JSON itself.
 */
export function composeConfig(compose: string): {
  services: Record<string, Record<string, unknown>>;
} {
  const file = join(root, 'docker-compose.yml');
  const firstLine = fs.readFileSync(compose, 'utf8').slice(0, 200).split('\n')[0] ?? '';
  if (!firstLine.startsWith('#!') || !firstLine.includes('python')) {
    return JSON.parse(
      execFileSync(compose, ['-f', file, 'config', '--format', 'json'], { encoding: 'utf8' }),
    ) as never;
  }
  const yaml = execFileSync(compose, ['-f', file, 'config'], { encoding: 'utf8' });
  const [interpreter = '', ...interpreterArgs] = firstLine.slice(2).trim().split(/\s+/);
  const toJson = 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)';
  return JSON.parse(
    execFileSync(interpreter, [...interpreterArgs, '-c', toJson], {
      input: yaml,
      encoding: 'utf8',
    }),
  ) as never;
}
