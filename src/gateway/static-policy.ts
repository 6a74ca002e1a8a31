// What STATIC_DIR may serve and how, as data and pure decisions: request path → safe segments, content types, caching.

/**
 * A request path, checked segment by segment on the raw target: `segments` are decoded names that
 * hold no separator, no dot segment and no control character, so joining them under the root can
 * never leave it. `invalid`: a malformed or hostile spelling (400). `hidden`: a dotfile (404).
 */
export type StaticPath =
  | { readonly kind: 'path'; readonly segments: readonly string[]; readonly directory: boolean }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'hidden' };

/** Control characters (NUL included) and the backslash, which Windows-minded servers read as `/`. */
function hasForbiddenCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f || code === 0x5c) return true;
  }
  return false;
}

export function parseStaticPath(requestTarget: string): StaticPath {
  const path = requestTarget.split('?', 1)[0] ?? '';
  if (!path.startsWith('/') || hasForbiddenCharacter(path)) return { kind: 'invalid' };
  const rawSegments = path.slice(1).split('/');
  const directory = rawSegments.at(-1) === '';
  if (directory) rawSegments.pop();
  const segments: string[] = [];
  let hidden = false;
  for (const rawSegment of rawSegments) {
    const segment = decodeSegment(rawSegment);
    // An empty segment (`//`) would be read as the root by some resolvers.
    if (segment === null || segment === '' || segment === '.' || segment === '..') {
      return { kind: 'invalid' };
    }
    // Dotfiles (`.env`, `.git/`, `.htpasswd`) are build or deploy leftovers, never part of the SPA.
    if (segment.startsWith('.')) hidden = true;
    segments.push(segment);
  }
  return hidden ? { kind: 'hidden' } : { kind: 'path', segments, directory };
}

/**
 * Decodes one segment, or null when the decoding is malformed or yields a separator (`%2f`, `%5c`),
 * a control character (`%00`) or a `%` (double encoding such as `%252e`, which a second decoder
 * further along would turn into a dot).
 */
function decodeSegment(rawSegment: string): string | null {
  let segment: string;
  try {
    segment = decodeURIComponent(rawSegment);
  } catch {
    return null;
  }
  if (segment.includes('/') || segment.includes('%') || hasForbiddenCharacter(segment)) {
    return null;
  }
  return segment;
}

/** The lowercased extension of a file name (`app.JS` → `js`), or null when it has none. */
export function extensionOf(name: string): string | null {
  const dot = name.lastIndexOf('.');
  return dot <= 0 || dot === name.length - 1 ? null : name.slice(dot + 1).toLowerCase();
}

const utf8 = '; charset=utf-8';

/**
 * Content types by extension: the files a Vite, webpack or Angular build emits. Sent with
 * `X-Content-Type-Options: nosniff`, so the browser never guesses a type from the bytes.
 */
const contentTypes: Readonly<Record<string, string>> = {
  html: `text/html${utf8}`,
  htm: `text/html${utf8}`,
  // RFC 9239: JavaScript is text/javascript, module or classic.
  js: `text/javascript${utf8}`,
  mjs: `text/javascript${utf8}`,
  cjs: `text/javascript${utf8}`,
  css: `text/css${utf8}`,
  json: 'application/json',
  map: 'application/json',
  webmanifest: 'application/manifest+json',
  txt: `text/plain${utf8}`,
  csv: `text/csv${utf8}`,
  xml: 'application/xml',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/vnd.microsoft.icon',
  bmp: 'image/bmp',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
  wasm: 'application/wasm',
  pdf: 'application/pdf',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  wav: 'audio/wav',
};

/** Anything else is opaque bytes: with nosniff, never rendered or run by the browser. */
export function contentTypeOf(fileName: string): string {
  const extension = extensionOf(fileName);
  return (extension === null ? undefined : contentTypes[extension]) ?? 'application/octet-stream';
}

/**
 * The folder of Vite's hashed build output (`build.assetsDir`): a file's name changes with its
 * content, so a cached copy never goes stale.
 */
const immutableFolder = 'assets';

/**
 * RFC 9111 §5.2.2.1 `max-age` and RFC 8246 `immutable`: a year for hashed assets, which a new build
 * renames. Everything else, and `index.html` above all (it names the current assets), is stored but
 * revalidated on every use (`no-cache`, RFC 9111 §5.2.2.4): a deploy shows at once, and the ETag
 * makes the check a 304.
 */
export const cacheControls = {
  immutable: 'public, max-age=31536000, immutable',
  revalidate: 'no-cache',
} as const;

export function cacheControlFor(segments: readonly string[], fileName: string): string {
  return segments[0] === immutableFolder && segments.length > 1 && fileName !== 'index.html'
    ? cacheControls.immutable
    : cacheControls.revalidate;
}

/**
 * Whether a path no file answers gets `index.html` (a client-side route such as `/settings/profile`):
 * only when its last segment has no extension (a missing `/app.js` is a 404, never HTML that a
 * script tag would choke on) and it is not under the assets folder (a stale hashed name is a 404).
 */
export function fallsBackToIndex(segments: readonly string[]): boolean {
  const last = segments.at(-1);
  if (segments[0] === immutableFolder && segments.length > 1) return false;
  return last === undefined || extensionOf(last) === null;
}
