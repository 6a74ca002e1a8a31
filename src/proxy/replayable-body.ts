// Holds a small request body in memory so a request the upstream refused with 401 can be sent again (contract §4).
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors/gateway-error.ts';

/** A request body held in memory so the request can be sent twice. */
export type ReplayableBody =
  { readonly kind: 'none' } | { readonly kind: 'buffered'; readonly bytes: Buffer };

/** Contract §4: a body of up to 1 MiB is replayed; anything larger streams and is never held. */
export const maxReplayableBodyBytes = 1024 * 1024;

const noBody: ReplayableBody = Object.freeze({ kind: 'none' });

/**
 * Decides from the headers alone (nothing is read when it returns null): no body (no Content-Length
 * and no Transfer-Encoding, or Content-Length: 0) → {kind:'none'}; Content-Length ≤ limit → reads it all
 * → {kind:'buffered'}; a larger Content-Length or a chunked body without length → null (stream it, not replayable).
 * Rejects with GatewayError 408 `request_timeout` when the browser sends nothing for `idleTimeoutMs`,
 * and 400 `invalid_request` when the body ends short of its Content-Length / the connection aborts.
 *
 * @see RFC 9112 §6.3 (message body length): Transfer-Encoding wins over Content-Length, and a request
 * with neither has no body. Node's parser already refused a request carrying both, or a malformed length.
 */
export function readReplayableBody(
  incoming: IncomingMessage,
  options: { idleTimeoutMs: number; limitBytes?: number },
): Promise<ReplayableBody | null> {
  const { 'content-length': contentLength, 'transfer-encoding': transferEncoding } =
    incoming.headers;
  // Chunked: the length is known only at its end, which may be gigabytes away (contract §4: streams).
  if (transferEncoding !== undefined) return Promise.resolve(null);
  if (contentLength === undefined) return Promise.resolve(noBody);
  const length = Number(contentLength);
  if (length === 0) return Promise.resolve(noBody);
  // Memory stays flat: a body above the limit is never held, whatever the number of such requests.
  if (!(length <= (options.limitBytes ?? maxReplayableBodyBytes))) return Promise.resolve(null);
  return readWholeBody(incoming, length, options.idleTimeoutMs);
}

/**
 * Reads exactly `length` bytes. The timer is an idle bound, re-armed by every chunk: a slow but
 * moving upload is never cut, a silent one is (a slowloris upload holding a request slot).
 * After a failure the body is left flowing unread, so @hono/node-server can drain it or close the
 * connection once the problem is answered.
 */
function readWholeBody(
  incoming: IncomingMessage,
  length: number,
  idleTimeoutMs: number,
): Promise<ReplayableBody> {
  return new Promise<ReplayableBody>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let receivedBytes = 0;
    const finish = (error: GatewayError | null): void => {
      clearTimeout(idleTimer);
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('close', onClose);
      incoming.off('error', onClose);
      if (error !== null) reject(error);
      else resolve({ kind: 'buffered', bytes: Buffer.concat(chunks, receivedBytes) });
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      receivedBytes += chunk.length;
      idleTimer.refresh();
    };
    const onEnd = (): void => finish(receivedBytes === length ? null : truncatedBodyError());
    // 'close' before 'end' (with 'error' when listened to): the browser went away mid-body.
    const onClose = (): void => finish(truncatedBodyError());
    const idleTimer = setTimeout(
      () =>
        finish(
          new GatewayError(
            408,
            'request_timeout',
            `the request body stopped arriving for ${idleTimeoutMs} ms`,
          ),
        ),
      idleTimeoutMs,
    );
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('close', onClose);
    incoming.once('error', onClose);
    if (incoming.readableEnded || incoming.destroyed) finish(truncatedBodyError());
  });
}

function truncatedBodyError(): GatewayError {
  return new GatewayError(
    400,
    'invalid_request',
    'the request body ended before the length its Content-Length header announced',
  );
}
