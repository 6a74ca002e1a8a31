// Serves STATIC_DIR: a request path → a regular file whose real path stays inside the root, streamed, with ETag / Last-Modified and 304.
import { constants, realpathSync } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { basename, join, sep } from 'node:path';
import { Readable } from 'node:stream';
import {
  cacheControlFor,
  cacheControls,
  contentTypeOf,
  fallsBackToIndex,
  parseStaticPath,
} from './static-policy.ts';

/** An open file ready to send: the handle is read (or closed) by `staticResponse`, once. */
export interface StaticFile {
  readonly handle: FileHandle;
  readonly size: number;
  readonly modifiedMs: number;
  readonly contentType: string;
  readonly cacheControl: string;
}

/** `invalid`: a malformed or hostile path (400). `not_found`: nothing to serve (404). */
export type StaticLookup =
  | { readonly kind: 'file'; readonly file: StaticFile }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'not_found' };

export interface StaticFiles {
  /** The real path of STATIC_DIR, resolved once at start-up. */
  readonly root: string;
  /** Looks a raw request target up (not a URL-parser-normalised one, so traversal is seen as sent). */
  find(requestTarget: string): Promise<StaticLookup>;
}

const notFound: StaticLookup = Object.freeze({ kind: 'not_found' });

/** Errors that mean "no such file here" rather than a fault of the gateway. */
const missingFileCodes: ReadonlySet<string> = new Set([
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  // A symlink loop, or (with O_NOFOLLOW) a last component swapped for a symlink after realpath.
  'ELOOP',
  'ENAMETOOLONG',
  'EACCES',
]);

export function createStaticFiles(directory: string): StaticFiles {
  // Once, at start-up: STATIC_DIR may itself be a symlink (a release folder); its target is the root.
  const root = realpathSync(directory);
  return {
    root,
    async find(requestTarget) {
      const path = parseStaticPath(requestTarget);
      if (path.kind === 'invalid') return path;
      if (path.kind === 'hidden') return notFound;
      const opened = await openInside(root, path.segments);
      if (typeof opened !== 'string') {
        return {
          kind: 'file',
          file: describe(opened, cacheControlFor(path.segments, opened.name)),
        };
      }
      // A refused file is not an unknown path: no shell in its place, a plain 404.
      if (opened === 'refused' || !fallsBackToIndex(path.segments)) return notFound;
      // A client-side route: the app's shell, which its router then reads the path from.
      const index = await openInside(root, ['index.html']);
      return typeof index === 'string'
        ? notFound
        : { kind: 'file', file: describe(index, cacheControls.revalidate) };
    },
  };
}

interface OpenedFile {
  readonly handle: FileHandle;
  readonly name: string;
  readonly size: number;
  readonly modifiedMs: number;
}

/** `missing`: nothing there (an unknown path). `refused`: something there that is never served. */
type Unservable = 'missing' | 'refused';

/**
 * The regular file the segments name (a directory's `index.html`). The real path, every symlink
 * resolved, must lie inside the root and pass no dotfile: a link inside the build pointing at
 * `/etc/passwd` or at `.env` is refused. The file is opened by that real path, without following a
 * last-moment symlink, and described from the open handle (no stat-then-open race).
 */
async function openInside(
  root: string,
  segments: readonly string[],
): Promise<OpenedFile | Unservable> {
  const resolved = await realPathInside(root, join(root, ...segments));
  if (typeof resolved === 'string') return resolved;
  const real = resolved.path;
  const handle = await openNoFollow(real);
  if (handle === null) return 'missing';
  const stats = await handle.stat();
  if (stats.isFile()) {
    return { handle, name: basename(real), size: stats.size, modifiedMs: stats.mtimeMs };
  }
  await handle.close();
  // A FIFO, socket or device inside the folder is never read.
  if (!stats.isDirectory()) return 'refused';
  if (segments.at(-1) === 'index.html') return 'missing';
  return openInside(root, [...segments, 'index.html']);
}

async function realPathInside(
  root: string,
  candidate: string,
): Promise<{ readonly path: string } | Unservable> {
  let real: string;
  try {
    real = await realpath(candidate);
  } catch (error) {
    if (isMissingFile(error)) return 'missing';
    throw error;
  }
  if (real === root) return { path: real };
  const prefix = root.endsWith(sep) ? root : root + sep;
  if (!real.startsWith(prefix)) return 'refused';
  const inside = real.slice(prefix.length).split(sep);
  return inside.some((segment) => segment.startsWith('.')) ? 'refused' : { path: real };
}

/** O_NONBLOCK: a FIFO planted in the folder must not hold a thread until a writer appears. */
async function openNoFollow(path: string): Promise<FileHandle | null> {
  try {
    return await open(
      path,
      constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0),
    );
  } catch (error) {
    if (isMissingFile(error)) return null;
    throw error;
  }
}

function isMissingFile(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && missingFileCodes.has(code);
}

function describe(opened: OpenedFile, cacheControl: string): StaticFile {
  return {
    handle: opened.handle,
    size: opened.size,
    modifiedMs: opened.modifiedMs,
    contentType: contentTypeOf(opened.name),
    cacheControl,
  };
}

/**
 * The answer for a file: 304 when the browser's copy is current (RFC 9110 §13.1.2, §13.1.3), headers
 * only for HEAD, otherwise the bytes streamed from the open handle (never read whole into memory).
 */
export function staticResponse(
  file: StaticFile,
  method: string,
  requestHeaders: Headers,
): Response {
  const etag = entityTagOf(file);
  const headers = new Headers({
    'cache-control': file.cacheControl,
    etag,
    'last-modified': new Date(file.modifiedMs).toUTCString(),
    'x-content-type-options': 'nosniff',
  });
  if (isNotModified(file, etag, requestHeaders)) {
    closeQuietly(file.handle);
    return new Response(null, { status: 304, headers });
  }
  headers.set('content-type', file.contentType);
  headers.set('content-length', String(file.size));
  if (method === 'HEAD' || file.size === 0) {
    closeQuietly(file.handle);
    return new Response(null, { status: 200, headers });
  }
  // Bounded by the size announced: a file growing meanwhile cannot overrun Content-Length.
  const stream = file.handle.createReadStream({ start: 0, end: file.size - 1 });
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, {
    status: 200,
    headers,
  });
}

/** Weak (RFC 9110 §8.8.3): size and modification time change with the content, but need not. */
function entityTagOf(file: StaticFile): string {
  return `W/"${file.size.toString(16)}-${Math.floor(file.modifiedMs).toString(16)}"`;
}

/** If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 §13.2.2). */
function isNotModified(file: StaticFile, etag: string, requestHeaders: Headers): boolean {
  const ifNoneMatch = requestHeaders.get('if-none-match');
  if (ifNoneMatch !== null) {
    if (ifNoneMatch.trim() === '*') return true;
    // Weak comparison (RFC 9110 §8.8.3.2): the `W/` prefix is ignored on both sides.
    const opaque = etag.replace(/^W\//, '');
    return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === opaque);
  }
  const ifModifiedSince = requestHeaders.get('if-modified-since');
  if (ifModifiedSince === null) return false;
  const since = Date.parse(ifModifiedSince);
  // HTTP dates have whole seconds (RFC 9110 §5.6.7).
  return !Number.isNaN(since) && Math.floor(file.modifiedMs / 1000) * 1000 <= since;
}

function closeQuietly(handle: FileHandle): void {
  handle.close().catch(() => undefined);
}
