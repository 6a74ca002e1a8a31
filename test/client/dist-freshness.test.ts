// dist/client is exactly what `npm run build:client` makes from src/client now: no stale, missing or extra file.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const distDirectory = join(root, 'dist', 'client');
const hint = 'dist/client is stale: run `npm run build:client` and commit dist/client';

let cachedBuild: Map<string, string> | undefined;

/** tsconfig.client.json compiled in memory (once per file): output path (relative to dist/client) → text. */
function freshBuild(): Map<string, string> {
  cachedBuild ??= compile();
  return cachedBuild;
}

function compile(): Map<string, string> {
  const configPath = join(root, 'tsconfig.client.json');
  const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (read.error !== undefined)
    throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const config = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, configPath);
  const program = ts.createProgram(config.fileNames, config.options);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  expect(
    diagnostics.map((item) => ts.flattenDiagnosticMessageText(item.messageText, '\n')),
  ).toEqual([]);
  const outputs = new Map<string, string>();
  const result = program.emit(undefined, (fileName, text) => {
    outputs.set(relative(distDirectory, fileName).replaceAll('\\', '/'), text);
  });
  expect(result.emitSkipped).toBe(false);
  return outputs;
}

describe('dist/client', () => {
  it('is byte for byte a fresh build of src/client (run `npm run build:client` after changing it)', () => {
    const fresh = freshBuild();
    expect(fresh.size).toBeGreaterThan(0);
    const committed = readdirSync(distDirectory, { recursive: true, encoding: 'utf8' })
      .map((path) => path.replaceAll('\\', '/'))
      .filter((path) => path.endsWith('.js') || path.endsWith('.ts'))
      .sort();
    expect(committed, hint).toEqual([...fresh.keys()].sort());
    for (const [path, text] of fresh) {
      expect(readFileSync(join(distDirectory, path), 'utf8'), `${hint} (${path} differs)`).toBe(
        text,
      );
    }
  });

  it('imports nothing outside itself: no runtime dependency, every import relative and ending in .js', () => {
    for (const [path, text] of freshBuild()) {
      if (!path.endsWith('.js')) continue;
      for (const match of text.matchAll(/\b(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
        expect(match[1], path).toMatch(/^\.\/[a-z-]+\.js$/);
      }
    }
  });
});
