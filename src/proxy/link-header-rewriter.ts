// Rewrites the response headers that carry links back into the upstream: `Location` (RFC 9110 §10.2.2) and every target of `Link` (RFC 8288 §3).
import type { OutgoingHttpHeaders } from 'node:http';
import type { LinkRewriter } from './link-rewriting.ts';

const lessThan = 0x3c;
const quote = 0x22;
const backslash = 0x5c;

/**
 * Rewrites `location` and `link` in place (names are lower case: they come from Node's parser).
 * Whatever the status: a 3xx to another host (Graph's pre-authenticated download URL) keeps its
 * `Location`, since only a link on the upstream's own base is rewritten (contract §4, §6).
 */
export function rewriteLinkHeaders(headers: OutgoingHttpHeaders, rewriter: LinkRewriter): void {
  const location = headers.location;
  if (typeof location === 'string') headers.location = rewriter.rewriteUrl(location) ?? location;
  const link = headers.link;
  if (typeof link === 'string') headers.link = rewriteLinkFieldValue(link, rewriter);
  else if (Array.isArray(link))
    headers.link = link.map((value) => rewriteLinkFieldValue(String(value), rewriter));
}

/**
 * Rewrites each `<URI-Reference>` of a `Link` field value (RFC 8288 §3: `#link-value`, each
 * `"<" URI-Reference ">" *( OWS ";" OWS link-param )`), e.g. ServiceNow's
 * `<https://acme.service-now.com/api/now/table/incident?sysparm_offset=10>;rel="next",…`.
 * A `<` inside a quoted-string parameter (`title="<x>"`, RFC 9110 §5.6.4) is not a target: quoted
 * strings are skipped, escapes included. Everything else keeps its bytes.
 */
export function rewriteLinkFieldValue(value: string, rewriter: LinkRewriter): string {
  if (!value.includes('<')) return value;
  let rewritten = '';
  let copiedUpTo = 0;
  let index = 0;
  while (index < value.length) {
    const character = value.charCodeAt(index);
    if (character === quote) {
      index = endOfQuotedString(value, index);
    } else if (character === lessThan) {
      const end = value.indexOf('>', index + 1);
      if (end === -1) break; // malformed: the rest is left as it came
      const target = rewriter.rewriteUrl(value.slice(index + 1, end));
      if (target !== null) {
        rewritten += `${value.slice(copiedUpTo, index + 1)}${target}`;
        copiedUpTo = end;
      }
      index = end + 1;
    } else {
      index += 1;
    }
  }
  return copiedUpTo === 0 ? value : rewritten + value.slice(copiedUpTo);
}

/** The index just after the quoted-string that starts at `start` (RFC 9110 §5.6.4: `\` quotes the next character). */
function endOfQuotedString(value: string, start: number): number {
  let index = start + 1;
  while (index < value.length) {
    const character = value.charCodeAt(index);
    if (character === backslash) index += 2;
    else if (character === quote) return index + 1;
    else index += 1;
  }
  return index;
}
