// How Graph's JSON bodies are rewritten on the way through the gateway (contract §6): as a stream, whatever the chunking, escapes or compression; anything else byte for byte.
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { downloadPattern } from '../support/mock-graph.ts';
import { odataContentType } from '../support/mock-graph/paging.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started));

let cookieHeader: string;
beforeAll(async () => {
  const browser = new TestBrowser();
  expect((await harness.login(browser)).status).toBe(302);
  cookieHeader = `bff-session=${browser.cookie('127.0.0.1', 'bff-session') ?? ''}`;
});
beforeEach(() => harness.graph.reset());

/** Opens a request through the gateway and resolves with its response head (the body unread). */
function open(path: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${harness.url}/graph${path}`, {
      headers: { 'x-csrf': '1', cookie: cookieHeader, ...headers },
    });
    request.once('response', resolve).once('error', reject).end();
  });
}

async function bodyOf(response: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Answers `path` on mock Graph with these JSON bytes, written one byte per chunk when `byteByByte`. */
function answerJson(path: string, json: string, options: { byteByByte?: boolean } = {}): void {
  harness.graph.route('GET', path, (_request, response) => {
    response.writeHead(200, { 'content-type': odataContentType });
    if (options.byteByByte !== true) return void response.end(json);
    void writeByteByByte(response, Buffer.from(json));
  });
}

async function writeByteByByte(response: ServerResponse, bytes: Buffer): Promise<void> {
  for (const byte of bytes) {
    response.write(Buffer.of(byte));
    // A turn of the event loop between bytes: each one leaves as its own TCP segment / chunk.
    await new Promise((resolve) => setImmediate(resolve));
  }
  response.end();
}

describe('JSON bodies', () => {
  it('rewrites a link escaped as `\\/`, keeps every other byte, and numbers keep their digits', async () => {
    const graph = harness.graph.url.replaceAll('/', '\\/');
    const json = `{"count":12345678901234567890123,"@odata.nextLink" : "${graph}\\/v1.0\\/users?$skiptoken=a%2Fb\\u0026x=1"}`;
    answerJson('/v1.0/escaped', json);
    const response = await open('/v1.0/escaped');
    expect(response.headers['content-length']).toBeUndefined();
    expect(response.headers['transfer-encoding']).toBe('chunked');
    expect((await bodyOf(response)).toString()).toBe(
      `{"count":12345678901234567890123,"@odata.nextLink" : "${harness.url}/graph/v1.0\\/users?$skiptoken=a%2Fb\\u0026x=1"}`,
    );
  });

  it('rewrites a member that arrives one byte per chunk', async () => {
    const json = `{"value":[{"id":"a\\"b"}],\n  "members@odata.nextLink"\n:\t"${harness.graph.url}/v1.0/groups/1/members?$skiptoken=X",\n  "@odata.deltaLink": "${harness.graph.url}/v1.0/users/delta?$deltatoken=Y"}`;
    answerJson('/v1.0/trickle', json, { byteByByte: true });
    const text = (await bodyOf(await open('/v1.0/trickle'))).toString();
    expect(text).toBe(json.replaceAll(`${harness.graph.url}/`, `${harness.url}/graph/`));
    expect(JSON.parse(text)).toMatchObject({
      '@odata.deltaLink': `${harness.url}/graph/v1.0/users/delta?$deltatoken=Y`,
    });
  });

  it('leaves links to other hosts, look-alike hosts and paths that leave the mount as they are', async () => {
    const graph = harness.graph.url;
    const untouched = [
      'https://graph.microsoft.com/v1.0/users?$skiptoken=1',
      `${graph}.evil.example/v1.0/users`,
      `${graph}0/v1.0/users`,
      `${graph}/v1.0/../../auth/logout`,
      `${graph}/v1.0/%2e%2e/%2e%2e/auth/logout`,
    ];
    const json = JSON.stringify({
      value: untouched.map((link) => ({ '@odata.nextLink': link })),
      note: `"@odata.nextLink": "${graph}/v1.0/in-a-string"`,
      '@odata.nextLink': null,
    });
    answerJson('/v1.0/others', json);
    expect((await bodyOf(await open('/v1.0/others'))).toString()).toBe(json);
  });

  it('decodes a gzip answer of Graph, rewrites it and sends it uncompressed', async () => {
    const response = await open('/v1.0/users?$top=3', { 'accept-encoding': 'gzip, br' });
    expect(harness.graph.requests.at(-1)?.headers['accept-encoding']).toBe('gzip, br');
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(response.headers['content-length']).toBeUndefined();
    const page = JSON.parse((await bodyOf(response)).toString()) as { value: unknown[] };
    expect(page.value).toHaveLength(3);
    expect(page).toMatchObject({
      '@odata.nextLink': expect.stringMatching(
        new RegExp(`^${harness.url}/graph/v1\\.0/users\\?\\$top=3&\\$skiptoken=`),
      ) as unknown,
    });
  });

  it('closes the connection when a gzip answer is corrupt, never passing a truncated body as whole', async () => {
    harness.graph.route('GET', '/v1.0/corrupt', (_request, response) => {
      const bytes = gzipSync(JSON.stringify({ value: [] }));
      bytes.fill(0xff, 12, 20);
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      response.end(bytes);
    });
    // The head is still in Node's buffer when the gzip stream fails: the SPA sees a network error.
    await expect(open('/v1.0/corrupt').then(bodyOf)).rejects.toThrow(/socket hang up|aborted/);
    expect(harness.logs.some((line) => line.includes('failed after its headers were sent'))).toBe(
      true,
    );
    expect((await bodyOf(await open('/v1.0/users?$top=1'))).length).toBeGreaterThan(0);
  });

  it('streams a JSON body larger than any held link: its first bytes reach the SPA before Graph ends it', async () => {
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    harness.graph.route('GET', '/v1.0/huge', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(`{"value":[${'{"id":"x"},'.repeat(20_000)}{"id":"last"}],`);
      void finished.then(() =>
        response.end(`"@odata.nextLink":"${harness.graph.url}/v1.0/huge?page=2"}`),
      );
    });
    // Read before Graph ends the body: a gateway that buffered it would deliver nothing (not even its head).
    const firstBytes = open('/v1.0/huge').then(
      (response) =>
        new Promise<[IncomingMessage, Buffer]>((resolve) =>
          response.once('data', (chunk: Buffer) => {
            response.pause(); // the rest is read by bodyOf, none lost in between
            resolve([response, chunk]);
          }),
        ),
    );
    const early = await Promise.race([
      firstBytes,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 2_000)),
    ]);
    finish();
    expect(early?.[1].subarray(0, 10).toString()).toBe('{"value":[');
    const [response, first] = early ?? (await firstBytes);
    const chunks = [first, await bodyOf(response)];
    const page = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
    expect(page['@odata.nextLink']).toBe(`${harness.url}/graph/v1.0/huge?page=2`);
    expect((page.value as unknown[]).length).toBe(20_001);
  });
});

describe('small JSON bodies with a length (read whole, sent in one write)', () => {
  /** Answers `path` with these JSON bytes and their Content-Length, as Graph does for a single object. */
  function answerSized(path: string, json: string): void {
    harness.graph.route('GET', path, (_request, response) => {
      response.writeHead(200, {
        'content-type': odataContentType,
        'content-length': String(Buffer.byteLength(json)),
      });
      response.end(json);
    });
  }

  it('relays an answer without links byte for byte, with its Content-Length', async () => {
    const json = JSON.stringify({ id: '1', displayName: 'Adele Vance', note: 'ü'.repeat(40) });
    answerSized('/v1.0/sized', json);
    const response = await open('/v1.0/sized');
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(json)));
    expect(response.headers['transfer-encoding']).toBeUndefined();
    expect((await bodyOf(response)).toString()).toBe(json);
  });

  it('rewrites its links and sends the new length', async () => {
    const json = JSON.stringify({
      value: [{ id: '1' }],
      '@odata.nextLink': `${harness.graph.url}/v1.0/users?$skiptoken=X`,
    });
    answerSized('/v1.0/sized-page', json);
    const response = await open('/v1.0/sized-page');
    const text = (await bodyOf(response)).toString();
    expect(text).toBe(json.replace(`${harness.graph.url}/`, `${harness.url}/graph/`));
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(text)));
  });

  it('closes the connection when the body stalls for the upstream limit, logging why', async () => {
    harness.graph.route('GET', '/v1.0/stalls', (_request, response) => {
      response.writeHead(200, { 'content-type': odataContentType, 'content-length': '100' });
      response.write('{"id":"1",');
    });
    const startedAt = Date.now();
    await expect(open('/v1.0/stalls')).rejects.toThrow(/socket hang up/);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_900); // UPSTREAM_TIMEOUT_S=2
    expect(Date.now() - startedAt).toBeLessThan(4_000);
    const line = harness.logs.find((entry) => entry.includes('before its body was complete'));
    expect(line).toContain('ERR_UPSTREAM_HEADER_TIMEOUT');
  });

  it('closes the connection when the body breaks off short of its length; the next request is served', async () => {
    harness.graph.route('GET', '/v1.0/breaks', (_request, response) => {
      response.writeHead(200, { 'content-type': odataContentType, 'content-length': '100' });
      response.write('{"id":"1",', () => response.socket?.destroy());
    });
    await expect(open('/v1.0/breaks')).rejects.toThrow(/socket hang up/);
    expect((await open('/v1.0/users?$top=1')).statusCode).toBe(200);
  });
});

describe('bodies that are not JSON', () => {
  it('relays a download byte for byte, with its Content-Length, untouched', async () => {
    const size = 8 * 1024 * 1024 + 7;
    const response = await open(`/v1.0/download?bytes=${size}`, { 'accept-encoding': 'gzip' });
    expect(response.headers['content-length']).toBe(String(size));
    expect(response.headers['transfer-encoding']).toBeUndefined();
    const digest = createHash('sha256')
      .update(await bodyOf(response))
      .digest('hex');
    expect(digest).toBe(createHash('sha256').update(downloadPattern(size)).digest('hex'));
  });

  it('relays a text body that looks like JSON links byte for byte', async () => {
    const text = `{"@odata.nextLink":"${harness.graph.url}/v1.0/users"}`;
    harness.graph.route('GET', '/v1.0/text', (_request, response) => {
      response.writeHead(200, {
        'content-type': 'text/plain',
        'content-length': String(text.length),
      });
      response.end(text);
    });
    const response = await open('/v1.0/text');
    expect(response.headers['content-length']).toBe(String(text.length));
    expect((await bodyOf(response)).toString()).toBe(text);
  });
});
