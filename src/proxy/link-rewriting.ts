// The upstream base → gateway mount mapping of contract §6: an absolute link back into the upstream becomes the same link through the gateway; any other link is left alone.
import { resolveUpstreamPath } from './upstream-path.ts';

export interface LinkRewritingOptions {
  /** The upstream's base (GRAPH_API_URL, SERVICENOW_API_URL), already validated (http(s), no query). */
  readonly apiUrl: URL;
  /** PUBLIC_URL's origin, without a trailing slash (`https://app.example.com`). */
  readonly publicOrigin: string;
  /** Where the gateway mounts this upstream (`/graph`): starts with `/`, no trailing `/`. */
  readonly mountPrefix: string;
}

export interface LinkRewriter {
  /** A URL as text (a `Location` value, a `Link` target) on the upstream's base → its gateway URL; null: left alone. */
  rewriteUrl(url: string): string | null;
  /**
   * The raw content of a JSON string (between its quotes, escapes as sent) → the rewritten raw
   * content, or null when it is not a link into the upstream. Only the base is replaced: the rest
   * keeps its bytes and escapes exactly.
   */
  rewriteJsonStringContent(raw: Buffer): Buffer | null;
}

/**
 * Built once per forwarder: every per-link step is a prefix comparison. The upstream base is
 * `scheme://host[:port]` + base path + `/`, as the URL parser serialises it (lower-case scheme and
 * host, default port dropped): a link must start with exactly that (the scheme and host compared
 * without regard to case, RFC 3986 §6.2.2.1), so `https://graph.microsoft.com.evil.example/` or
 * `https://graph.microsoft.com:8443/` never match.
 */
export function createLinkRewriter(options: LinkRewritingOptions): LinkRewriter {
  const basePath = options.apiUrl.pathname.replace(/\/+$/, '');
  const upstreamOrigin = options.apiUrl.origin;
  const upstreamBase = `${upstreamOrigin}${basePath}/`;
  const publicBase = `${options.publicOrigin}${options.mountPrefix}/`;
  // A URL string never holds `"`, `\` or a control character: its JSON form is itself.
  const publicBaseBytes = Buffer.from(JSON.stringify(publicBase).slice(1, -1), 'utf8');

  /** The part after the upstream base, or null when the link does not start with that base. */
  function restAfterBase(url: string): string | null {
    if (url.length <= upstreamBase.length) return null;
    if (url.slice(0, upstreamOrigin.length).toLowerCase() !== upstreamOrigin) return null;
    if (!url.startsWith(basePath, upstreamOrigin.length)) return null;
    if (url.charCodeAt(upstreamBase.length - 1) !== slash) return null;
    const rest = url.slice(upstreamBase.length);
    return isForwardable(rest, options.mountPrefix) ? rest : null;
  }

  return {
    rewriteUrl(url) {
      const rest = restAfterBase(url);
      return rest === null ? null : publicBase + rest;
    },
    rewriteJsonStringContent(raw) {
      if (raw.length <= upstreamBase.length) return null;
      const decoded = decodeJsonString(raw);
      if (decoded === null || restAfterBase(decoded) === null) return null;
      const rawBaseLength = rawLengthOf(raw, upstreamBase.length);
      return Buffer.concat([publicBaseBytes, raw.subarray(rawBaseLength)]);
    },
  };
}

const slash = 0x2f;
const backslash = 0x5c;

/**
 * Threat: an upstream link that a browser would normalise out of the mount (`v1.0/../../auth/logout`,
 * `%2e%2e`, a backslash) would send the SPA to a gateway endpoint of its own instead of the upstream.
 * A link is rewritten only when the gateway itself would forward it, by the very rules its proxy
 * route applies (`resolveUpstreamPath`: no dot segment, no encoded separator, ASCII only, no `#`);
 * any other stays pointing at the upstream's host, where the browser cannot use it with a session.
 */
function isForwardable(rest: string, mountPrefix: string): boolean {
  try {
    resolveUpstreamPath(`${mountPrefix}/${rest}`, mountPrefix);
    return true;
  } catch {
    return false;
  }
}

/** The JSON string's value, or null when the upstream sent an invalid string (then left alone). */
function decodeJsonString(raw: Buffer): string | null {
  try {
    const value: unknown = JSON.parse(`"${raw.toString('utf8')}"`);
    return typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}

/**
 * How many raw bytes encode the first `length` UTF-16 code units of a valid JSON string's content
 * (RFC 8259 §7: `\uXXXX` is one code unit, any other escape two bytes for one). Used for the
 * upstream base only, which is ASCII, so one unescaped byte is one code unit there.
 */
function rawLengthOf(raw: Buffer, length: number): number {
  let offset = 0;
  for (let decoded = 0; decoded < length; decoded += 1) {
    if (raw[offset] !== backslash) offset += 1;
    else offset += raw[offset + 1] === 0x75 /* u */ ? 6 : 2;
  }
  return offset;
}
