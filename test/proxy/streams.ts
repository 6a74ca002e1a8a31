// Large random bodies made lazily, chunk by chunk, with their sha256 and a count of what was produced (to show backpressure).
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export const mebibyte = 1024 * 1024;

export interface CountingBody {
  readonly stream: Readable;
  /** Bytes handed to the consumer so far: stays low while the other end is not reading. */
  readonly produced: () => number;
  /** The sha256 of everything produced, once the stream has ended. */
  readonly sha256: () => string;
}

/** A body of `totalBytes` random bytes, produced only as fast as it is read. */
export function randomBody(totalBytes: number, chunkBytes = 64 * 1024): CountingBody {
  const hash = createHash('sha256');
  let produced = 0;
  const stream = new Readable({
    read() {
      if (produced >= totalBytes) {
        this.push(null);
        return;
      }
      const chunk = randomBytes(Math.min(chunkBytes, totalBytes - produced));
      produced += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  let digest: string | undefined;
  return {
    stream,
    produced: () => produced,
    sha256: () => (digest ??= hash.digest('hex')),
  };
}

/** Reads a stream to its end, keeping only its sha256 and length. */
export async function digestOf(
  stream: AsyncIterable<unknown>,
): Promise<{ sha256: string; length: number }> {
  const hash = createHash('sha256');
  let length = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    length += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), length };
}

export function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
