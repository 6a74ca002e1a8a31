// Raw HTTP/1.1 over a node:net socket: the bytes a browser's fetch refuses to send (smuggling shapes, traversals, oversized heads).
import { connect } from 'node:net';

export interface RawExchange {
  /** Everything the server sent, read as Latin-1 (one character per byte). */
  readonly text: string;
  /** The status code of each response on the connection, in order (`HTTP/1.1 400 …` → 400). */
  readonly statuses: readonly number[];
  /** Whether the server closed the connection before the client gave up waiting. */
  readonly closedByServer: boolean;
}

/**
 * Writes `bytes` to `port` on loopback and collects the answer until the server closes the
 * connection or sends nothing for `idleMs` (a kept-alive connection after its last answer).
 */
export function sendRaw(
  port: number,
  bytes: string | Buffer,
  options: { idleMs?: number } = {},
): Promise<RawExchange> {
  const idleMs = options.idleMs ?? 400;
  return new Promise<RawExchange>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let closedByServer = true;
    let idle: NodeJS.Timeout | undefined;
    const waitForMore = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        closedByServer = false;
        socket.destroy();
      }, idleMs);
    };
    socket.on('connect', waitForMore);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      waitForMore();
    });
    // A reset after an early answer (the server refused mid-upload) still leaves what was read.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(idle);
      resolve({ text, statuses: statusesOf(text), closedByServer });
    });
    socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}

/** Status codes of every status line in a raw answer (a body need not end with a line break). */
export function statusesOf(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((match) => Number(match[1]));
}

/** The body of the first response in a raw answer (after the first blank line). */
export function firstBodyOf(text: string): string {
  const start = text.indexOf('\r\n\r\n');
  return start === -1 ? '' : text.slice(start + 4);
}
