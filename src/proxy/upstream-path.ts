// Turns a raw request target (`/graph/v1.0/me?$select=id`) into the path sent upstream and the path the route allow-list sees, refusing anything that could leave the upstream's base path.
import { GatewayError } from '../errors/gateway-error.ts';

export interface ResolvedUpstreamPath {
  /** Path and query to append to the upstream's base URL, with the original percent-encoding and query. */
  readonly upstreamPath: string;
  /** The percent-decoded path (no query) that the route allow-list matches. */
  readonly routePath: string;
}

/**
 * Characters refused anywhere in the target: C0 controls, DEL and C1 controls (CR/LF would split
 * the request line: RFC 9112 §3), `#` (a fragment is never sent: RFC 9112 §3.2), and raw non-ASCII
 * (a URI is ASCII, RFC 3986 §2; raw octets may be read as Latin-1 here and UTF-8 upstream).
 */
const refusedRawCharacter = /[^\u0020-\u007e]|#/u;
const percentSign = /%/g;
const percentTriplet = /%[0-9A-Fa-f]{2}/y;
const percentTripletRun = /(?:%[0-9A-Fa-f]{2})+/g;
/**
 * A segment every check below would pass unchanged: RFC 3986 unreserved characters only, not
 * starting with a dot (so never a dot segment), no `%` (nothing to decode), and ASCII (NFKC leaves
 * it as it is). Most API paths are made of these (`v1.0`, `me`, `users`, a GUID): they skip the
 * decoding and normalisation on the hot path.
 */
const plainSegment = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/;
/** A segment of dots and spaces only: `..` to RFC 3986 §5.2.4, and to servers that trim trailing dots and spaces. */
const dotsOnly = /^[.\s]*\.[.\s]*$/u;

/**
 * Resolves the upstream path of a raw request target (`incoming.url`, as received, not normalised)
 * under `mountPrefix` (`/graph`). Throws 400 `invalid_path` for anything that could leave the
 * upstream's base path or be read differently upstream (contract §4).
 */
export function resolveUpstreamPath(rawUrl: string, mountPrefix: string): ResolvedUpstreamPath {
  if (!mountPrefix.startsWith('/') || mountPrefix.endsWith('/')) {
    throw new TypeError('mountPrefix must start with "/" and not end with "/"');
  }
  if (refusedRawCharacter.test(rawUrl)) invalidPath('a control, non-ASCII or "#" character');
  const queryStart = rawUrl.indexOf('?');
  const rawPath = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? '' : rawUrl.slice(queryStart);
  const rest = pathAfterMountPrefix(rawPath, mountPrefix);
  const segments = rest === '' ? [''] : rest.slice(1).split('/');
  const decodedSegments = segments.map((segment, index) =>
    decodeSegment(segment, index === segments.length - 1),
  );
  return {
    upstreamPath: encodeSpaces(rest === '' ? '/' : rest) + encodeSpaces(rawQuery),
    routePath: `/${decodedSegments.join('/')}`,
  };
}

/** The part after the prefix: `''` for `/graph`, `/…` for `/graph/…`; anything else is not under the mount. */
function pathAfterMountPrefix(rawPath: string, mountPrefix: string): string {
  if (rawPath === mountPrefix) return '';
  if (rawPath.startsWith(`${mountPrefix}/`)) return rawPath.slice(mountPrefix.length);
  return invalidPath(`a path under ${mountPrefix}/`);
}

/**
 * Checks one raw segment and returns it decoded once. The checks run on the segment decoded once
 * AND twice, because a proxy or framework in front of the upstream may decode again
 * (`%252e%252e` → `%2e%2e` → `..`: CWE-174, double decoding).
 */
function decodeSegment(rawSegment: string, isLast: boolean): string {
  if (plainSegment.test(rawSegment)) return rawSegment;
  // An empty segment reads as an authority to URL parsers (`//host`, RFC 3986 §4.2) and matches
  // route globs differently; only the trailing slash of the last segment is ordinary.
  if (rawSegment === '' && !isLast) invalidPath('no empty path segment');
  // Raw backslashes are path separators to WHATWG URL parsers and Windows servers.
  if (rawSegment.includes('\\')) invalidPath('no backslash in the path');
  const decodedOnce = decodeStrictly(rawSegment);
  refuseHostileSegment(decodedOnce);
  refuseHostileSegment(decodeValidTriplets(decodedOnce));
  return decodedOnce;
}

function refuseHostileSegment(decoded: string): void {
  // NFKC also folds U+FF0F / U+FF3C (`／`, `＼`) to separators for an upstream that normalises.
  const folded = decoded.normalize('NFKC');
  const separator = (text: string): boolean => text.includes('/') || text.includes('\\');
  if (separator(decoded) || separator(folded) || hasControlCharacter(decoded)) {
    invalidPath('no encoded slash, backslash or control character in the path');
  }
  // `;` starts path parameters that Tomcat-style servers strip before resolving dot segments
  // (`..;/` reads as `../`), and NFKC folds look-alikes such as U+FF0E (`．．`) to `..`.
  const name = decoded.split(';', 1)[0] ?? '';
  if (dotsOnly.test(name) || dotsOnly.test(name.normalize('NFKC'))) {
    invalidPath('no "." or ".." path segment');
  }
}

/** Decodes every `%XX` once; malformed triplets and invalid UTF-8 (overlong `%c0%ae` = `.`) are refused. */
function decodeStrictly(rawSegment: string): string {
  for (const match of rawSegment.matchAll(percentSign)) {
    percentTriplet.lastIndex = match.index;
    if (!percentTriplet.test(rawSegment)) invalidPath('well-formed percent-encoding');
  }
  try {
    return decodeURIComponent(rawSegment);
  } catch {
    return invalidPath('percent-encoded UTF-8');
  }
}

/** A second decoding that leaves a literal `%` (a file named `100%.txt`) alone but refuses hidden invalid UTF-8. */
function decodeValidTriplets(decodedOnce: string): string {
  return decodedOnce.replace(percentTripletRun, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return invalidPath('percent-encoded UTF-8');
    }
  });
}

/** C0 controls, DEL and C1 controls: CR/LF split the request line, NUL truncates C strings, NEL breaks lines. */
function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const codeUnit = text.charCodeAt(index);
    if (codeUnit <= 0x1f || (codeUnit >= 0x7f && codeUnit <= 0x9f)) return true;
  }
  return false;
}

/** A raw space cannot cross the wire (RFC 9112 §3.2); it is sent the way a URL serializer would. */
function encodeSpaces(text: string): string {
  return text.replaceAll(' ', '%20');
}

function invalidPath(expected: string): never {
  throw new GatewayError(400, 'invalid_path', `the request path is invalid: expected ${expected}`);
}
