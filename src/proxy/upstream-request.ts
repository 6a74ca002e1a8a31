// The request undici sends upstream for one browser request: the path under the API's base, the policy-filtered headers with the bearer, and the body with the framing the browser used.
import type { IncomingMessage } from 'node:http';
import type { Dispatcher } from 'undici';
import { forwardableRequestHeaders } from './header-policy.ts';
import { IncomingBody } from './incoming-body.ts';
import type { ReplayableBody } from './replayable-body.ts';

/** What `Dispatcher.dispatch` needs for one upstream request. */
export type UpstreamRequestOptions = Dispatcher.DispatchOptions & {
  readonly body: Buffer | IncomingBody | null;
};

/**
 * The API base path and the upstream path joined as httpxy joined them (its `joinURL`), so the
 * upstream sees the same targets as before: `/base` + `/v1.0/me` → `/base/v1.0/me`, `/base` + `/`
 * → `/base`, `/base` + `/?$top=1` → `/base/?$top=1`, `/` + `/v1.0/me` → `/v1.0/me`.
 */
export function joinedUpstreamPath(basePath: string, upstreamPath: string): string {
  const path =
    upstreamPath === '' ? '/' : upstreamPath.startsWith('/') ? upstreamPath : `/${upstreamPath}`;
  if (basePath === '' || basePath === '/') return path;
  if (path === '/') return basePath;
  return basePath.endsWith('/') ? basePath + path.slice(1) : basePath + path;
}

/**
 * The upstream request for `incoming`. `body`: the bytes read beforehand (sent as they are, on
 * every send), or absent on a first send, which streams `incoming` itself.
 */
export function upstreamRequestOptions(
  incoming: IncomingMessage,
  path: string,
  accessToken: string,
  body: ReplayableBody | undefined,
): UpstreamRequestOptions {
  const headers = forwardableRequestHeaders(incoming.headers, accessToken);
  const chunked = headers['transfer-encoding'] !== undefined;
  // undici frames the body itself (RFC 9112 §6.1) and refuses a Transfer-Encoding header: a stream
  // without a Content-Length goes chunked, a Buffer or a sized stream with its Content-Length.
  delete headers['transfer-encoding'];
  const method = incoming.method ?? 'GET';
  if (body !== undefined) {
    if (body.kind === 'none') return { method, path, headers, body: null };
    // The bytes held are the body, whatever framing the browser used: the same length on every send
    // (RFC 9112 §6.2), and no chunked framing left to disagree with it (RFC 9112 §6.3, smuggling).
    headers['content-length'] = String(body.bytes.length);
    return { method, path, headers, body: body.bytes.length === 0 ? null : body.bytes };
  }
  // A request with neither Content-Length nor Transfer-Encoding has no body (RFC 9112 §6.3).
  const contentLength = headers['content-length'];
  if (!chunked && (contentLength === undefined || contentLength === '0'))
    return { method, path, headers, body: null };
  return {
    method,
    path,
    headers,
    body: new IncomingBody(incoming),
    // A chunked request is sent with `Connection: close` and its connection never pooled, as httpxy
    // did: if the upstream disagreed with the gateway on where the chunked body ends, the rest would
    // be read as the next request on that connection — any user's (RFC 9112 §9.6, smuggling).
    ...(chunked ? { reset: true } : {}),
  };
}
