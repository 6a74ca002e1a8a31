// GET /auth/client.js and /auth/client/<file>.js: the browser client module (contract §6), from dist/client, held in memory.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Context, Hono } from 'hono';
import type { GatewayDependencies, GatewayEnv } from '../gateway-env.ts';

/** Compiled from src/client by `npm run build:client`; committed, and copied into the image. */
export const clientDirectory = new URL('../../../dist/client/', import.meta.url);

/** The entry point, one directory up from its files, so that its relative import names them. */
const entryModule = "export * from './client/index.js';\n";

interface ModuleFile {
  readonly body: Uint8Array<ArrayBuffer>;
  /** Strong (RFC 9110 §8.8.3): the SHA-256 of the exact bytes. */
  readonly etag: string;
}

/**
 * Read once at start-up: every request is a Map lookup, so no request path ever reaches the file
 * system (threat: path traversal, `..%2f`, symlinks: a name not in the Map is a plain 404).
 */
export function loadClientModules(
  directory: URL = clientDirectory,
): Map<string, ModuleFile> | null {
  if (!existsSync(directory)) return null;
  const files = new Map<string, ModuleFile>();
  for (const name of readdirSync(directory)) {
    if (/^[a-z][a-z0-9-]*\.js$/.test(name))
      files.set(name, moduleFile(readFileSync(new URL(name, directory))));
  }
  return files;
}

function moduleFile(bytes: Uint8Array): ModuleFile {
  const body = new Uint8Array(bytes.byteLength);
  body.set(bytes);
  const digest = createHash('sha256').update(body).digest('base64url');
  return { body, etag: `"${digest}"` };
}

export function registerClientRoutes(app: Hono<GatewayEnv>, deps: GatewayDependencies): void {
  const files = loadClientModules();
  if (files === null) {
    // The gateway still does its job; apps that import the module get 404s until it is deployed.
    deps.logger.warn(
      { directory: clientDirectory.pathname },
      'dist/client is missing: /auth/client.js is not served (run npm run build:client)',
    );
    return;
  }
  const entry = moduleFile(new TextEncoder().encode(entryModule));
  app.get('/auth/client.js', function clientEntry(c) {
    return moduleResponse(c, entry);
  });
  app.get('/auth/client/:file', function clientFile(c) {
    const file = files.get(c.req.param('file'));
    return file === undefined ? c.notFound() : moduleResponse(c, file);
  });
}

/** HEAD is answered by Hono from this GET handler, with the body dropped and the headers kept. */
function moduleResponse(c: Context<GatewayEnv>, file: ModuleFile): Response {
  const headers = {
    'content-type': 'text/javascript; charset=utf-8',
    etag: file.etag,
    // RFC 9111 §5.2.2.4: cached, but revalidated on every use, so an upgraded gateway's module
    // (and the files it imports, which have fixed names) are never mixed with stale ones.
    'cache-control': 'no-cache',
  };
  if (matchesEtag(c.req.header('if-none-match'), file.etag)) {
    return c.body(null, 304, headers);
  }
  return c.body(file.body, 200, { ...headers, 'content-length': String(file.body.byteLength) });
}

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2): `W/` is ignored; `*` matches. */
function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
