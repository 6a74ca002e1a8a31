// The streaming scenario's clients: a fast download, an upload of a generated body with backpressure, and a slow reader that aborts.
import { request, type IncomingMessage } from 'node:http';

/** The upload's unit of writing, reused. */
const uploadChunk = Buffer.alloc(64 * 1024, 'u');

export interface TransferOutcome {
  readonly status: number;
  readonly bytes: number;
}

/** A GET with no body; resolves with the answer's head. */
function get(url: string, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    request(url, { method: 'GET', headers, agent: false }, resolve).once('error', reject).end();
  });
}

async function readAll(response: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads the whole answer as fast as it comes. */
export async function download(
  url: string,
  headers: Record<string, string>,
): Promise<TransferOutcome> {
  const response = await get(url, headers);
  let bytes = 0;
  for await (const chunk of response) bytes += (chunk as Buffer).length;
  return { status: response.statusCode ?? 0, bytes };
}

/** Sends `totalBytes` (Content-Length known, so the gateway streams it), waiting on `drain`. */
export async function upload(
  url: string,
  headers: Record<string, string>,
  totalBytes: number,
): Promise<TransferOutcome> {
  const outgoing = request(url, {
    method: 'POST',
    agent: false,
    headers: {
      ...headers,
      'content-type': 'application/octet-stream',
      'content-length': String(totalBytes),
    },
  });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    outgoing.once('response', resolve);
    outgoing.once('error', reject);
  });
  for (let remaining = totalBytes; remaining > 0;) {
    const size = Math.min(uploadChunk.length, remaining);
    remaining -= size;
    if (!outgoing.write(size === uploadChunk.length ? uploadChunk : uploadChunk.subarray(0, size)))
      await new Promise((resolve) => outgoing.once('drain', resolve));
  }
  outgoing.end();
  const response = await answered;
  const body = (await readAll(response)).toString('utf8');
  const received =
    response.statusCode === 200 ? (JSON.parse(body) as { receivedBytes: number }).receivedBytes : 0;
  return { status: response.statusCode ?? 0, bytes: received };
}

/** Reads at `bytesPerSecond` (pausing the socket in between), then aborts after `abortAfterMs`. */
export async function slowReadThenAbort(
  url: string,
  headers: Record<string, string>,
  options: { bytesPerSecond: number; abortAfterMs: number },
): Promise<TransferOutcome> {
  const response = await get(url, headers);
  const started = performance.now();
  let bytes = 0;
  await new Promise<void>((resolve) => {
    const abort = setTimeout(() => {
      response.destroy();
      resolve();
    }, options.abortAfterMs);
    response.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      const allowed = ((performance.now() - started) / 1000) * options.bytesPerSecond;
      if (bytes <= allowed) return;
      response.pause();
      setTimeout(() => response.resume(), ((bytes - allowed) / options.bytesPerSecond) * 1000);
    });
    response.once('end', () => {
      clearTimeout(abort);
      resolve();
    });
    response.once('error', () => undefined);
  });
  return { status: response.statusCode ?? 0, bytes };
}
