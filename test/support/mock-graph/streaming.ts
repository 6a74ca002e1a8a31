// Graph's streamed bodies: the deterministic download pattern written with backpressure, and uploads hashed as they arrive.
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One `GET /v1.0/download`: how far it got, and whether the client went away mid-stream. */
export interface DownloadRecord {
  readonly requestedBytes: number;
  readonly writtenBytes: number;
  readonly outcome: 'streaming' | 'completed' | 'client-went-away';
}

export type MutableDownloadRecord = {
  -readonly [Key in keyof DownloadRecord]: DownloadRecord[Key];
};

/** 251 (a prime) keeps the pattern from lining up with power-of-two chunk sizes, so a lost or repeated chunk shows. */
const patternChunk = Buffer.from(Array.from({ length: 251 * 256 }, (_, index) => index % 251));

/** The bytes `GET /v1.0/download?bytes=N` sends: byte i is i mod 251. */
export function downloadPattern(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += patternChunk.length)
    patternChunk.copy(bytes, offset);
  return bytes;
}

export interface BodyDigest {
  length: number;
  sha256: string;
  /** The body's first `keptBodyBytes` bytes, for routes that read a small JSON request ($batch). */
  head: Buffer;
}

/** Enough for a `$batch` of 20 requests; an upload of gigabytes is still only hashed. */
const keptBodyBytes = 64 * 1024;

/** Hashes the body as it streams (nothing buffered); rejects when the client goes away first. */
export function digestBody(request: IncomingMessage): Promise<BodyDigest> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let length = 0;
    const kept: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      if (length < keptBodyBytes) kept.push(chunk.subarray(0, keptBodyBytes - length));
      length += chunk.length;
    });
    request.once('end', () =>
      resolve({ length, sha256: hash.digest('hex'), head: Buffer.concat(kept) }),
    );
    request.once('error', reject);
    request.once('close', () => {
      if (!request.complete) reject(new Error('the client went away before the body ended'));
    });
  });
}

/** Writes the pattern chunk by chunk, waiting for `drain`, and stops as soon as the client goes away. */
export async function streamPattern(
  response: ServerResponse,
  record: MutableDownloadRecord,
): Promise<void> {
  response.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': String(record.requestedBytes),
    'request-id': randomUUID(),
    connection: 'keep-alive',
  });
  let clientWentAway = false;
  response.once('close', () => {
    if (!response.writableFinished) clientWentAway = true;
  });
  while (record.writtenBytes < record.requestedBytes && !clientWentAway) {
    const remaining = record.requestedBytes - record.writtenBytes;
    const chunk = patternChunk.subarray(0, Math.min(patternChunk.length, remaining));
    record.writtenBytes += chunk.length;
    if (!response.write(chunk) && !response.destroyed) await drainedOrClosed(response);
    if (response.destroyed) clientWentAway = true;
  }
  if (clientWentAway) {
    record.outcome = 'client-went-away';
    return;
  }
  response.end();
  record.outcome = 'completed';
}

function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const settle = () => {
      response.off('drain', settle);
      response.off('close', settle);
      resolve();
    };
    response.on('drain', settle);
    response.on('close', settle);
  });
}
