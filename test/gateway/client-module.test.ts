// GET /auth/client.js and /auth/client/*.js through the real gateway: dist/client's exact bytes, module headers, 304, and nothing else.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { firstBodyOf, sendRaw } from '../support/raw-http.ts';

const distDirectory = join(import.meta.dirname, '..', '..', 'dist', 'client');
const distFiles = readdirSync(distDirectory).filter((name) => name.endsWith('.js'));
const packageJson = readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8');

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started));

/** The relative module specifiers a module imports or re-exports. */
function importsOf(source: string): string[] {
  return [...source.matchAll(/\b(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/g)].map(
    (match) => match[1]!,
  );
}

describe('the client module served by the gateway', () => {
  it('serves /auth/client.js as a module re-exporting ./client/index.js, with module headers and no-cache', async () => {
    const response = await fetch(`${harness.url}/auth/client.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const body = await response.text();
    expect(body).toBe("export * from './client/index.js';\n");
    expect(response.headers.get('etag')).toBe(
      `"${createHash('sha256').update(body).digest('base64url')}"`,
    );
  });

  it('serves every module the entry imports, transitively, as dist/client’s exact bytes, and every file of dist/client', async () => {
    const served = new Set<string>();
    const queue = ['index.js'];
    while (queue.length > 0) {
      const name = queue.shift()!;
      if (served.has(name)) continue;
      served.add(name);
      const response = await fetch(`${harness.url}/auth/client/${name}`);
      expect(response.status, name).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.equals(readFileSync(join(distDirectory, name))), name).toBe(true);
      for (const specifier of importsOf(bytes.toString('utf8'))) {
        expect(specifier).toMatch(/^\.\/[a-z-]+\.js$/);
        queue.push(specifier.slice(2));
      }
    }
    expect(served.size).toBeGreaterThan(5);
    for (const name of distFiles) {
      expect((await fetch(`${harness.url}/auth/client/${name}`)).status, name).toBe(200);
    }
  });

  it('answers 304 to a matching If-None-Match (strong, weak or in a list), 200 to another, and headers only to HEAD', async () => {
    const url = `${harness.url}/auth/client/create-client.js`;
    const first = await fetch(url);
    const etag = first.headers.get('etag')!;
    const length = Number(first.headers.get('content-length'));
    expect(length).toBe(readFileSync(join(distDirectory, 'create-client.js')).length);
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await fetch(url, { headers: { 'if-none-match': ifNoneMatch } });
      expect(again.status, ifNoneMatch).toBe(304);
      expect(again.headers.get('etag')).toBe(etag);
      expect(await again.text()).toBe('');
    }
    expect((await fetch(url, { headers: { 'if-none-match': '"stale"' } })).status).toBe(200);
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(etag);
    expect(head.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await head.text()).toBe('');
  });

  it('answers 404 for any other name, a declaration file, or a traversal in any spelling, and never reads another file', async () => {
    const port = Number(new URL(harness.url).port);
    for (const target of [
      '/auth/client/nope.js',
      '/auth/client/index.d.ts',
      '/auth/client/INDEX.JS',
      '/auth/client/',
      '/auth/client/..%2f..%2fpackage.json',
      '/auth/client/%2e%2e%2f%2e%2e%2fpackage.json',
      '/auth/client/..%5c..%5cpackage.json',
      '/auth/client/../../package.json',
      '/auth/client/index.js%00',
      '/auth/client/index.js/..%2f..%2f..%2fpackage.json',
      '/auth/client.js/../../package.json',
    ]) {
      const exchange = await sendRaw(
        port,
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      );
      expect(exchange.statuses[0], target).toBeGreaterThanOrEqual(400);
      expect(exchange.statuses[0], target).toBeLessThan(500);
      const body = firstBodyOf(exchange.text);
      expect(body).not.toContain('"name": "bff-gateway"');
    }
    // The premise: the file a traversal would reach does hold that text.
    expect(packageJson).toContain('"name": "bff-gateway"');
  });
});
