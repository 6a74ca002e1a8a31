// Refuses the request framings Node's strict parser still accepts but RFC 9112 does not (request smuggling shapes).
import type { IncomingMessage } from 'node:http';
import { Http2ServerRequest } from 'node:http2';
import { GatewayError } from '../errors/gateway-error.ts';
import { toProblem } from './problem.ts';

/** Connections that carried a request with faulty framing: nothing more they carry is served. */
const faultyConnections = new WeakSet<object>();

/**
 * What Node's strict parser still accepts but RFC 9112 refuses; null when the request is sound.
 * - A request line without a version is read as HTTP/0.9 and the lines after it as its headers (a
 *   raw CR LF in a target turns the rest of it into headers); HTTP/0.9 and "HTTP/2.0" over HTTP/1
 *   are no requests this gateway serves (§2.3, Appendix C.1).
 * - Transfer-Encoding is HTTP/1.1's: an HTTP/1.0 request carrying it has faulty framing and the
 *   connection must close after it (§6.1). Node reads its body as chunked and then serves a request
 *   pipelined behind it, which a front end framing the body otherwise (§6.3) passed on as body
 *   bytes: request smuggling.
 * - More than one Host line is a 400 (§3.2): a front end and the gateway may each read another.
 */
export function faultyFraming(incoming: IncomingMessage | Http2ServerRequest): string | null {
  if (faultyConnections.has(incoming.socket)) {
    return 'an earlier request on this connection had faulty framing';
  }
  // An HTTP/2 stream has no request line and no Transfer-Encoding: only the Host rule applies.
  const version = incoming instanceof Http2ServerRequest ? '1.1' : incoming.httpVersion;
  let reason: string | null = null;
  if (version !== '1.1' && version !== '1.0') {
    reason = 'the request line must name HTTP/1.1 or HTTP/1.0';
  } else if (version === '1.0' && incoming.headers['transfer-encoding'] !== undefined) {
    reason = 'only an HTTP/1.1 request may carry Transfer-Encoding';
  } else if (countHeaderLines(incoming.rawHeaders, 'host') > 1) {
    reason = 'a request must carry exactly one Host header';
  }
  if (reason !== null) faultyConnections.add(incoming.socket);
  return reason;
}

function countHeaderLines(rawHeaders: readonly string[], name: string): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    if (rawHeaders[index]?.toLowerCase() === name) count += 1;
  }
  return count;
}

/** 400 problem+json, and the connection closes: whatever follows on it cannot be trusted as a request. */
export function faultyFramingAnswer(reason: string): Response {
  const problem = toProblem(new GatewayError(400, 'invalid_request', reason));
  return new Response(problem.body, {
    status: problem.status,
    headers: { ...problem.headers, connection: 'close' },
  });
}
