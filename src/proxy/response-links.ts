// What one upstream answer needs for contract §6's links: its link headers rewritten, and, for a JSON body of an OData upstream, the streaming stages that rewrite its links.
import type { OutgoingHttpHeaders } from 'node:http';
import type { Readable, Transform, Writable } from 'node:stream';
import * as zlib from 'node:zlib';
import { rewriteLinkHeaders } from './link-header-rewriter.ts';
import { createLinkRewriter, type LinkRewriter } from './link-rewriting.ts';
import { ODataLinkStream } from './odata-link-stream.ts';

export interface ResponseLinksOptions {
  readonly apiUrl: URL;
  /** PUBLIC_URL's origin, without a trailing slash. */
  readonly publicOrigin: string;
  /** The upstream's gateway mount (`/graph`). */
  readonly mountPrefix: string;
  /** Rewrite `@odata.nextLink` / `@odata.deltaLink` in JSON bodies (Graph); headers are rewritten either way. */
  readonly rewriteODataLinks: boolean;
}

export interface ResponseLinks {
  /**
   * Rewrites the link headers of an answer about to be written, and returns the stages its body
   * must stream through (null: piped as it came, byte for byte). When stages are returned, the
   * headers no longer describe the upstream's bytes and are adjusted here.
   */
  prepare(method: string, status: number, headers: OutgoingHttpHeaders): Transform[] | null;
}

/**
 * Content codings decoded before a JSON body's links are rewritten (RFC 9110 §8.4.1). The browser's
 * `Accept-Encoding` is forwarded, so Graph may compress; decoding here costs the gateway a zlib
 * stream per JSON answer and sends it uncompressed, where limiting `Accept-Encoding` upstream would
 * have lost compression for every download as well, JSON or not. Any other coding (or a stack of
 * codings) is passed on untouched, links and all.
 */
const decoders: ReadonlyMap<string, () => Transform> = new Map<string, () => Transform>([
  ['gzip', () => zlib.createGunzip()],
  ['x-gzip', () => zlib.createGunzip()],
  ['deflate', () => zlib.createInflate()],
  ['br', () => zlib.createBrotliDecompress()],
  // Node ≥ 22.15 only (package.json allows 22.13): without it, a zstd answer passes untouched.
  ...(typeof zlib.createZstdDecompress === 'function'
    ? [['zstd', () => zlib.createZstdDecompress()] as const]
    : []),
]);

/**
 * Headers that describe the upstream's exact bytes, which a rewritten body no longer has: the
 * length (Node frames the answer as chunked instead, RFC 9112 §7.1) and digests (RFC 9530; the
 * obsolete `Content-MD5` of RFC 1864 and `Digest` of RFC 3230).
 */
const headersOfTheExactBytes = [
  'content-length',
  'content-digest',
  'repr-digest',
  'content-md5',
  'digest',
];

export function createResponseLinks(options: ResponseLinksOptions): ResponseLinks {
  const rewriter = createLinkRewriter(options);
  return {
    prepare(method, status, headers) {
      rewriteLinkHeaders(headers, rewriter);
      if (!options.rewriteODataLinks || !mayCarryODataLinks(method, status, headers)) return null;
      return bodyStages(headers, rewriter);
    },
  };
}

/**
 * A body with links to rewrite: a JSON one (RFC 8259 `application/json`, or an RFC 6839 `+json`
 * type, whatever its parameters: Graph sends `application/json;odata.metadata=minimal;…`) of a
 * 2xx answer that has a body of its own. HEAD, 204/205 and 3xx have none; a 206 is a byte range
 * of the upstream's representation, which a rewrite would shift.
 */
function mayCarryODataLinks(method: string, status: number, headers: OutgoingHttpHeaders): boolean {
  if (method === 'HEAD' || status < 200 || status > 299) return false;
  if (status === 204 || status === 205 || status === 206) return false;
  const contentType = headers['content-type'];
  return typeof contentType === 'string' && isJsonMediaType(contentType);
}

export function isJsonMediaType(contentType: string): boolean {
  const end = contentType.indexOf(';');
  const mediaType = (end === -1 ? contentType : contentType.slice(0, end)).trim().toLowerCase();
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

/** The decoder (when the body is compressed) and the link stream; null for a coding not decoded here. */
function bodyStages(headers: OutgoingHttpHeaders, rewriter: LinkRewriter): Transform[] | null {
  const coding = headers['content-encoding'];
  const name = typeof coding === 'string' ? coding.trim().toLowerCase() : undefined;
  const decoder = name === undefined || name === 'identity' ? undefined : decoders.get(name);
  if (name !== undefined && name !== 'identity' && decoder === undefined) return null;
  for (const header of headersOfTheExactBytes) delete headers[header];
  const linkStream = new ODataLinkStream((raw) => rewriter.rewriteJsonStringContent(raw));
  if (decoder === undefined) return [linkStream];
  delete headers['content-encoding'];
  return [decoder(), linkStream];
}

/**
 * A body whose links are rewritten streams through its stages with backpressure end to end
 * (`pipe`, like a plain body: httpxy already ties the upstream response and the browser's
 * together, each destroyed when the other closes early). A stage that fails (a corrupt gzip
 * stream) is reported to `failed`, which closes the connection: the browser never takes a
 * truncated body for a whole one.
 */
export function pipeThrough(
  source: Readable,
  stages: readonly Transform[],
  destination: Writable,
  failed: (error: unknown) => void,
): void {
  let upstream = source;
  for (const stage of stages) {
    stage.once('error', failed);
    upstream = upstream.pipe(stage);
  }
  upstream.pipe(destination);
}
