// The demo SPA's own server (the gateway's APP_UPSTREAM_URL): the files of demo/spa (or DEMO_APP_DIR), and the "revoke at the IdP" button's endpoint.
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { startLoopbackServer, type ListenOptions } from '../test/support/loopback-server.ts';

/** What the folder may hold; a file of another kind (or a dotfile) is never served. */
const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

interface AppFile {
  readonly body: Buffer;
  readonly type: string;
}

/** The page's own policy: it may only talk to its origin (the gateway), which is the whole point. */
const contentSecurityPolicy = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface DemoAppServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `revoke` ends every grant the demo's providers issued, so the next API call is refused, its
 * refresh is rejected and the gateway answers the reauth payload. `folder` (default demo/spa) is
 * read once at start-up: only the files found then are served, by exact path, so no request path
 * can reach outside it.
 */
export async function startDemoAppServer(options: {
  listen: ListenOptions;
  revoke: () => Promise<void>;
  folder?: string | null;
}): Promise<DemoAppServer> {
  const files = await readAppFiles(options.folder ?? join(import.meta.dirname, 'spa'));
  const { server, origin, close } = await startLoopbackServer(options.listen);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    answer(request, response, files, options.revoke).catch(() => {
      if (!response.headersSent) response.writeHead(500).end('the demo app server failed');
    });
  });
  return { url: origin, close };
}

/** Every servable file under `folder`, keyed by its URL path (`/office-host.html`); `/` is index.html. */
async function readAppFiles(folder: string): Promise<ReadonlyMap<string, AppFile>> {
  const files = new Map<string, AppFile>();
  for (const relativePath of await readdir(folder, { recursive: true })) {
    const type = contentTypes[extname(relativePath)];
    const hidden = relativePath.split(sep).some((part) => part.startsWith('.'));
    if (type === undefined || hidden) continue;
    const body = await readFile(join(folder, relativePath));
    files.set(`/${relativePath.split(sep).join('/')}`, { body, type });
  }
  const index = files.get('/index.html');
  if (index === undefined) throw new Error(`the demo app folder ${folder} holds no index.html`);
  files.set('/', index);
  return files;
}

async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  files: ReadonlyMap<string, AppFile>,
  revoke: () => Promise<void>,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://app.invalid').pathname;
  if (path === '/demo/revoke') {
    // A custom header cannot be sent cross-site without a CORS preflight this server never grants.
    if (request.method !== 'POST' || request.headers['x-demo'] !== '1') {
      response.writeHead(400, { 'content-type': 'text/plain' }).end('POST with X-Demo: 1');
      return;
    }
    await revoke();
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify({ revoked: true }));
    return;
  }
  // Client-side routes get the page; anything with an extension that is not a file is a 404.
  const file = files.get(path) ?? (path.includes('.') ? undefined : files.get('/'));
  if (file === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  response.writeHead(200, {
    'content-type': file.type,
    'content-length': file.body.length,
    'cache-control': 'no-cache',
    'content-security-policy': contentSecurityPolicy,
    'x-content-type-options': 'nosniff',
  });
  response.end(request.method === 'HEAD' ? undefined : file.body);
}
