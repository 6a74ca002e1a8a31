// What one upstream answer needs for contract §6's links: its link headers rewritten, and, for a JSON body of an OData upstream, the streaming stages that rewrite its links.
import type { OutgoingHttpHeaders } from 'node:http';
import type { Transform, Writable } from 'node:stream';
import * as zlib from 'node:zlib';
import { rewriteLinkHeaders } from './link-header-rewriter.ts';
import { createLinkRewriter } from './link-rewriting.ts';
import {
  mayHoldODataLinks,
  ODataLinkStream,
  type JsonLinkRewrite,
  rewriteODataLinksAtOnce,
} from './odata-link-stream.ts';

export interface ResponseLinksOptions {
  readonly apiUrl: URL;
  /** PUBLIC_URL's origin, without a trailing slash. */
  readonly publicOrigin: string;
  /** The upstream's gateway mount (`/graph`). */
  readonly mountPrefix: string;
  /** Rewrite `@odata.nextLink` / `@odata.deltaLink` in JSON bodies (Graph); headers are rewritten either way. */
  readonly rewriteODataLinks: boolean;
}

/**
 * How a body with links to rewrite travels. `stream`: through these stages (the headers no longer
 * describe the upstream's bytes and were adjusted already). `whole`: a small uncompressed body of
 * known length, read whole and rewritten in one synchronous pass by `complete`, which adjusts the
 * headers only when it changed a byte — the answer then leaves in one write with its own length,
 * where a Transform would cost a stream, a pipe and a chunked framing per answer.
 */
export type BodyPlan =
  | { readonly kind: 'stream'; readonly stages: Transform[] }
  | {
      readonly kind: 'whole';
      /** The upstream's Content-Length: the bytes to read before `complete`. */
      readonly lengthBytes: number;
      complete(body: Buffer, headers: OutgoingHttpHeaders): Buffer;
    };

export interface ResponseLinks {
  /**
   * Rewrites the link headers of an answer about to be written, and returns how its body must
   * travel (null: piped as it came, byte for byte).
   */
  prepare(method: string, status: number, headers: OutgoingHttpHeaders): BodyPlan | null;
}

/**
 * The largest body read whole (`BodyPlan` `whole`): a single Graph object or a short page. Larger
 * ones stream, so memory per answer stays bounded by this, whatever the upstream sends.
 */
export const maximumWholeBodyBytes = 64 * 1024;

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
  // One function for every answer: a link stream holds its rewrite function for as long as it lives.
  const rewriteJsonString: JsonLinkRewrite = (raw) => rewriter.rewriteJsonStringContent(raw);
  return {
    prepare(method, status, headers) {
      rewriteLinkHeaders(headers, rewriter);
      if (!options.rewriteODataLinks || !mayCarryODataLinks(method, status, headers)) return null;
      return wholeBodyPlan(headers, rewriteJsonString) ?? streamPlan(headers, rewriteJsonString);
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

/**
 * A body read whole: uncompressed, with a Content-Length (undici's parser then delivers exactly that
 * many bytes, or fails the response) of at most `maximumWholeBodyBytes`. Null: it streams.
 */
function wholeBodyPlan(
  headers: OutgoingHttpHeaders,
  rewriteJsonString: JsonLinkRewrite,
): BodyPlan | null {
  const coding = headers['content-encoding'];
  if (coding !== undefined && String(coding).trim().toLowerCase() !== 'identity') return null;
  const declared = headers['content-length'];
  if (typeof declared !== 'string' || !/^\d{1,6}$/.test(declared)) return null;
  const lengthBytes = Number(declared);
  if (lengthBytes > maximumWholeBodyBytes) return null;
  return {
    kind: 'whole',
    lengthBytes,
    complete(body, completedHeaders) {
      // Most answers hold no link at all: then they leave byte for byte, length and digests kept.
      if (!mayHoldODataLinks(body)) return body;
      const rewritten = rewriteODataLinksAtOnce(body, rewriteJsonString);
      if (rewritten.equals(body)) return body;
      for (const header of headersOfTheExactBytes) delete completedHeaders[header];
      completedHeaders['content-length'] = String(rewritten.length);
      return rewritten;
    },
  };
}

/** The decoder (when the body is compressed) and the link stream; null for a coding not decoded here. */
function streamPlan(
  headers: OutgoingHttpHeaders,
  rewriteJsonString: JsonLinkRewrite,
): BodyPlan | null {
  const coding = headers['content-encoding'];
  const name = typeof coding === 'string' ? coding.trim().toLowerCase() : undefined;
  const decoder = name === undefined || name === 'identity' ? undefined : decoders.get(name);
  if (name !== undefined && name !== 'identity' && decoder === undefined) return null;
  for (const header of headersOfTheExactBytes) delete headers[header];
  const linkStream = new ODataLinkStream(rewriteJsonString);
  if (decoder === undefined) return { kind: 'stream', stages: [linkStream] };
  delete headers['content-encoding'];
  return { kind: 'stream', stages: [decoder(), linkStream] };
}

/**
 * The stages a body whose links are rewritten streams through, chained with backpressure end to
 * end (`pipe`), the last into `destination`: returns the first, which the upstream's body is
 * written into (a `false` from its `write` pauses the upstream). A stage that fails (a corrupt
 * gzip stream) is reported to `failed`, which closes the connection: the browser never takes a
 * truncated body for a whole one.
 */
export function chainedStages(
  stages: readonly Transform[],
  destination: Writable,
  failed: (error: unknown) => void,
): Writable {
  let head = destination;
  for (let index = stages.length - 1; index >= 0; index -= 1) {
    const stage = stages[index]!;
    stage.once('error', failed);
    // `failed` reaches the whole exchange. A finished stage still holding it kept every streamed
    // answer's objects alive through young-generation GCs (measured: ≈ 7 MB surviving each, 9 ms
    // pauses at one connection), as a WeakMap value did (see forwarder.ts); let go once it closes.
    stage.once('close', () => stage.off('error', failed));
    stage.pipe(head);
    head = stage;
  }
  return head;
}
