// The demo SPA's own server (the gateway's APP_UPSTREAM_URL): the page, its script and style, and the "revoke at the IdP" button's endpoint.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startLoopbackServer, type ListenOptions } from '../test/support/loopback-server.ts';

/** The SPA's files, by path; `/` is the page. */
const files: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/demo.js': { file: 'demo.js', type: 'text/javascript; charset=utf-8' },
  '/demo.css': { file: 'demo.css', type: 'text/css; charset=utf-8' },
};

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
 * refresh is rejected and the gateway answers the reauth payload.
 */
export async function startDemoAppServer(options: {
  listen: ListenOptions;
  revoke: () => Promise<void>;
}): Promise<DemoAppServer> {
  const folder = new URL('./spa/', import.meta.url);
  const contents = new Map<string, Buffer>();
  for (const [path, { file }] of Object.entries(files))
    contents.set(path, await readFile(new URL(file, folder)));
  const { server, origin, close } = await startLoopbackServer(options.listen);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    answer(request, response, contents, options.revoke).catch(() => {
      if (!response.headersSent) response.writeHead(500).end('the demo app server failed');
    });
  });
  return { url: origin, close };
}

async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  contents: Map<string, Buffer>,
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
  const known = files[path] ?? (path.includes('.') ? undefined : files['/']);
  const body = known === undefined ? undefined : contents.get(path in files ? path : '/');
  if (
    known === undefined ||
    body === undefined ||
    (request.method !== 'GET' && request.method !== 'HEAD')
  ) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  response.writeHead(200, {
    'content-type': known.type,
    'content-length': body.length,
    'cache-control': 'no-cache',
    'content-security-policy': contentSecurityPolicy,
    'x-content-type-options': 'nosniff',
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}
