// STATIC_DIR through the whole gateway: the built SPA's files, the index.html fallback, caching, and no read outside the folder in any spelling.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { firstBodyOf, sendRaw } from '../support/raw-http.ts';

const indexHtml = '<!doctype html><title>the spa</title><div id="app"></div>';
const docsIndexHtml = '<!doctype html><title>docs</title>';
const mainJs = 'console.log("main");';
const hashedJs = 'export const hashed = 1;';
/** What lies outside the folder, or in its dotfiles: no answer may ever contain either. */
const outsideSecret = 'TOP-SECRET-OUTSIDE-THE-ROOT';
const dotenvSecret = 'SECRET=from-the-dotenv-file';
const bigFile = randomBytes(8 * 1024 * 1024);

let harness: GatewayHarness;
let port: number;

/** The folder a Vite build leaves, plus the leftovers and links an attacker would aim at. */
function buildFixture(): string {
  const base = mkdtempSync(join(tmpdir(), 'bff-static-'));
  const site = join(base, 'site');
  const outside = join(base, 'outside');
  // Its name starts with the folder's: a containment check by string prefix alone lets it in.
  const sibling = join(base, 'site-sibling');
  for (const folder of [
    site,
    outside,
    sibling,
    join(site, 'assets'),
    join(site, 'docs'),
    join(site, 'assets', 'nested'),
    join(site, '.git'),
  ])
    mkdirSync(folder, { recursive: true });
  const files: Record<string, string | Buffer> = {
    'index.html': indexHtml,
    'main.js': mainJs,
    'style.css': 'body{}',
    'logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
    'data.json': '{"ok":true}',
    'font.woff2': Buffer.from([0x77, 0x4f, 0x46, 0x32]),
    'unknown.xyz': 'opaque',
    'empty.txt': '',
    'big.bin': bigFile,
    'assets/index-4f3a9c1b.js': hashedJs,
    'docs/index.html': docsIndexHtml,
    'assets/nested/index.html': docsIndexHtml,
    '.env': dotenvSecret,
    '.git/config': dotenvSecret,
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(site, name), content);
  writeFileSync(join(outside, 'secret.txt'), outsideSecret);
  writeFileSync(join(outside, 'secret'), outsideSecret);
  writeFileSync(join(sibling, 'secret.txt'), outsideSecret);
  symlinkSync(join(sibling, 'secret.txt'), join(site, 'link-sibling.txt'));
  // A FIFO planted in the build: never opened as a file to stream.
  execFileSync('mkfifo', [join(site, 'pipe')]);
  symlinkSync(join(outside, 'secret.txt'), join(site, 'link-out.txt'));
  symlinkSync(join(outside, 'secret'), join(site, 'link-out'));
  symlinkSync(outside, join(site, 'dir-out'));
  symlinkSync(join(site, '.env'), join(site, 'link-to-dotenv'));
  symlinkSync(join(site, 'main.js'), join(site, 'link-in.js'));
  return site;
}

beforeAll(async () => {
  harness = await startGatewayHarness({ STATIC_DIR: buildFixture() });
  port = Number(new URL(harness.url).port);
});
afterAll(async () => {
  await harness.close();
});

async function problem(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as Record<string, unknown>;
}

describe('STATIC_DIR: the files', () => {
  it('serves index.html at / with no-cache, nosniff and validators', async () => {
    const response = await fetch(`${harness.url}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(indexHtml);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('etag')).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    expect(response.headers.get('last-modified')).toMatch(/GMT$/);
  });

  it.each([
    ['/main.js', 'text/javascript; charset=utf-8'],
    ['/style.css', 'text/css; charset=utf-8'],
    ['/logo.svg', 'image/svg+xml'],
    ['/data.json', 'application/json'],
    ['/font.woff2', 'font/woff2'],
    ['/unknown.xyz', 'application/octet-stream'],
    ['/empty.txt', 'text/plain; charset=utf-8'],
  ])('serves %s as %s', async (path, contentType) => {
    const response = await fetch(`${harness.url}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(contentType);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    await response.arrayBuffer();
  });

  it('gives hashed files under assets/ a year, immutable, and everything else no-cache', async () => {
    const hashed = await fetch(`${harness.url}/assets/index-4f3a9c1b.js`);
    expect(await hashed.text()).toBe(hashedJs);
    expect(hashed.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const plain = await fetch(`${harness.url}/main.js`);
    expect(await plain.text()).toBe(mainJs);
    expect(plain.headers.get('cache-control')).toBe('no-cache');
    const nestedIndex = await fetch(`${harness.url}/assets/nested/`);
    expect(await nestedIndex.text()).toBe(docsIndexHtml);
    expect(nestedIndex.headers.get('cache-control')).toBe('no-cache');
  });

  it('streams a large file whole, with its length', async () => {
    const response = await fetch(`${harness.url}/big.bin`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(bigFile.length));
    const received = Buffer.from(await response.arrayBuffer());
    const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    expect(digest(received)).toBe(digest(bigFile));
  });

  it('serves a folder index and a symlink that stays inside the folder', async () => {
    expect(await (await fetch(`${harness.url}/docs/`)).text()).toBe(docsIndexHtml);
    expect(await (await fetch(`${harness.url}/link-in.js`)).text()).toBe(mainJs);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const response = await fetch(`${harness.url}/main.js`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(mainJs)));
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await response.text()).toBe('');
  });

  it('answers 304 to a current ETag or Last-Modified, 200 to a stale one', async () => {
    const first = await fetch(`${harness.url}/main.js`);
    await first.text();
    const etag = first.headers.get('etag') ?? '';
    const lastModified = first.headers.get('last-modified') ?? '';
    const byTag = await fetch(`${harness.url}/main.js`, { headers: { 'if-none-match': etag } });
    expect(byTag.status).toBe(304);
    expect(byTag.headers.get('etag')).toBe(etag);
    const byDate = await fetch(`${harness.url}/main.js`, {
      headers: { 'if-modified-since': lastModified },
    });
    expect(byDate.status).toBe(304);
    const stale = await fetch(`${harness.url}/main.js`, {
      headers: { 'if-none-match': 'W/"0-0"' },
    });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe(mainJs);
    // RFC 9110 §13.2.2: If-None-Match, when sent, decides alone; a current date does not rescue a stale tag.
    const staleTagCurrentDate = await fetch(`${harness.url}/main.js`, {
      headers: { 'if-none-match': 'W/"0-0"', 'if-modified-since': lastModified },
    });
    expect(staleTagCurrentDate.status).toBe(200);
    expect(await staleTagCurrentDate.text()).toBe(mainJs);
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])(
    'answers %s 405 with Allow: GET, HEAD',
    async (method) => {
      const response = await fetch(`${harness.url}/settings`, { method, body: 'x' });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
      expect(await problem(response)).toMatchObject({ type: 'urn:bff:method-not-allowed' });
    },
  );
});

describe('STATIC_DIR: client-side routes and missing files', () => {
  it.each(['/settings/profile', '/settings', '/authors', '/graphics/chart', '/healthzx'])(
    'answers the app path %s with index.html, no-cache',
    async (path) => {
      const response = await fetch(`${harness.url}${path}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(indexHtml);
      expect(response.headers.get('cache-control')).toBe('no-cache');
    },
  );

  it.each([
    '/app.js',
    '/missing/chunk.css',
    '/assets/index-00000000.js',
    '/assets/gone',
    '/.svn/entries',
  ])('answers the missing file %s with a 404 problem, never the shell', async (path) => {
    const response = await fetch(`${harness.url}${path}`);
    expect(response.status).toBe(404);
    expect(await problem(response)).toMatchObject({ type: 'urn:bff:not-found' });
  });
});

/**
 * Sent as raw bytes (fetch would normalise most of them away). Each must answer 400 or 404 and
 * never with the bytes of a file outside the folder or of a dotfile.
 */
const hostilePaths = [
  '/../outside/secret.txt',
  '/../../../../etc/passwd',
  '/%2e%2e/outside/secret.txt',
  '/%2E%2E%2Foutside%2Fsecret.txt',
  '/..%2foutside%2fsecret.txt',
  '/..%5coutside%5csecret.txt',
  '/..\\outside\\secret.txt',
  '/assets/..%2f..%2foutside/secret.txt',
  '/%252e%252e/outside/secret.txt',
  '/assets/%c0%ae%c0%ae/%c0%ae%c0%ae/outside/secret.txt',
  '/main.js%00.html',
  '/%00',
  '//etc/passwd',
  '/%2fetc%2fpasswd',
  '/.env',
  '/%2eenv',
  '/./.env',
  '/.git/config',
  '/assets/../.env',
  '/link-out.txt',
  '/link-out',
  '/dir-out/secret.txt',
  '/dir-out/secret',
  '/link-to-dotenv',
  '/link-sibling.txt',
  '/pipe',
];

describe('STATIC_DIR: path traversal', () => {
  it.each(hostilePaths)('%s answers 400 or 404 and reads nothing outside', async (path) => {
    const exchange = await sendRaw(
      port,
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    );
    expect([400, 404]).toContain(exchange.statuses[0]);
    const body = firstBodyOf(exchange.text);
    expect(body).not.toContain(outsideSecret);
    expect(body).not.toContain(dotenvSecret);
    expect(body).not.toContain('root:');
  });

  it.each([
    '/assets/%2e%2e/main.js',
    '/assets/..%2fmain.js',
    '/assets/%252e%252e/main.js',
    '/assets/..%5cmain.js',
    '/main.js%00',
  ])(
    '%s is refused as an invalid path before any lookup, even where it would land inside',
    async (path) => {
      const exchange = await sendRaw(
        port,
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
      );
      expect(exchange.statuses[0]).toBe(400);
      expect(firstBodyOf(exchange.text)).toContain('urn:bff:invalid-path');
    },
  );

  it('still serves the real files, so the refusals above are not a broken server', async () => {
    const exchange = await sendRaw(
      port,
      `GET /main.js HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    );
    expect(exchange.statuses[0]).toBe(200);
    expect(firstBodyOf(exchange.text)).toContain(mainJs);
  });
});

describe('STATIC_DIR: the gateway keeps its own paths', () => {
  it.each([
    '/auth/nope',
    '/auth',
    '/auth/',
    '/AUTH/nope',
    '/%61uth/nope',
    '/servicenow/x',
    '/healthz/x',
  ])('%s is the gateway 404 problem, never the shell', async (path) => {
    const response = await fetch(`${harness.url}${path}`);
    expect(response.status).toBe(404);
    expect(await problem(response)).toMatchObject({ type: 'urn:bff:not-found' });
  });

  it('POST /healthz is a gateway 404, not a 405 of the static files', async () => {
    const response = await fetch(`${harness.url}/healthz`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await problem(response)).toMatchObject({ type: 'urn:bff:not-found' });
  });

  it('/graph/... is still the proxy: CSRF first, then the session', async () => {
    const forged = await fetch(`${harness.url}/graph/v1.0/me`);
    expect(forged.status).toBe(403);
    expect(await problem(forged)).toMatchObject({ type: 'urn:bff:csrf' });
    const anonymous = await fetch(`${harness.url}/graph/v1.0/me`, { headers: { 'x-csrf': '1' } });
    expect(anonymous.status).toBe(401);
    expect(await problem(anonymous)).toMatchObject({ reason: 'no_session' });
  });

  it('the /auth policy stays on /auth: the app pages get no default-src none CSP', async () => {
    const page = await fetch(`${harness.url}/settings`);
    await page.text();
    expect(page.headers.get('content-security-policy')).toBeNull();
    expect(page.headers.get('x-frame-options')).toBeNull();
    const session = await fetch(`${harness.url}/auth/session`);
    await session.text();
    expect(session.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect((await fetch(`${harness.url}/healthz`)).status).toBe(200);
  });
});
