// The fast upstream stand-in, run in its own process: a fixed 1 KB JSON for any GET, a byte stream of any size, and an upload sink; it checks no bearer, so it measures the gateway, not the mock.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { reportListening } from '../setup/child-ready.ts';

/** `GET <any path>/stream/<bytes>`: that many bytes of application/octet-stream. */
const streamPathPattern = /\/stream\/(\d+)$/;
/** `POST|PUT <any path>/upload`: the body is read and counted, then `{ receivedBytes }`. */
const uploadPathPattern = /\/upload$/;
/** The stream's unit of writing: one buffer, reused, so the stand-in allocates nothing per chunk. */
const streamChunk = Buffer.alloc(64 * 1024, 'x');

/** Graph-shaped (`@odata.context` and a user), padded to exactly 1024 bytes; built once. */
function fixedJsonBody(): Buffer {
  const user = {
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity',
    id: '87d349ed-44d7-43e1-9a83-5f2406dee5bd',
    displayName: 'Bench User',
    mail: 'bench.user@example.com',
    userPrincipalName: 'bench.user@example.com',
    padding: '',
  };
  const unpadded = Buffer.byteLength(JSON.stringify(user));
  user.padding = 'p'.repeat(1024 - unpadded);
  return Buffer.from(JSON.stringify(user));
}

const jsonBody = fixedJsonBody();
const jsonHeaders = {
  'content-type': 'application/json; charset=utf-8',
  'content-length': String(jsonBody.length),
};

function answerJson(response: ServerResponse): void {
  response.writeHead(200, jsonHeaders);
  response.end(jsonBody);
}

/** Writes `totalBytes` respecting backpressure: a slow reader holds the stand-in back, never its memory. */
function answerStream(response: ServerResponse, totalBytes: number): void {
  response.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': String(totalBytes),
  });
  let remaining = totalBytes;
  const writeMore = (): void => {
    while (remaining > 0 && !response.destroyed) {
      const size = Math.min(streamChunk.length, remaining);
      remaining -= size;
      const chunk = size === streamChunk.length ? streamChunk : streamChunk.subarray(0, size);
      if (!response.write(chunk)) {
        response.once('drain', writeMore);
        return;
      }
    }
    if (!response.destroyed) response.end();
  };
  writeMore();
}

function answerUpload(request: IncomingMessage, response: ServerResponse): void {
  let receivedBytes = 0;
  request.on('data', (chunk: Buffer) => {
    receivedBytes += chunk.length;
  });
  request.on('end', () => {
    const body = JSON.stringify({ receivedBytes });
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    response.end(body);
  });
}

const server = createServer((request, response) => {
  const path = request.url ?? '/';
  const streamMatch = streamPathPattern.exec(path);
  if (request.method === 'GET' && streamMatch !== null)
    answerStream(response, Number(streamMatch[1]));
  else if (uploadPathPattern.test(path)) answerUpload(request, response);
  else answerJson(response);
});
// Longer than any run: a pooled connection the stand-in closed between runs would cost a reconnect.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => reportListening((server.address() as AddressInfo).port));
