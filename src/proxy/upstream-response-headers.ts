// An upstream answer's raw header lines (undici's [name, value, …] buffers) as the object Node's own parser makes, so the header policy and the link step see what they saw with node:http.
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Fields of which Node keeps only the first when an answer repeats them (node:http
 * `matchKnownFields`): a second `Content-Type` or `Location` is dropped, never joined into a value
 * no one could parse.
 */
const firstValueOnly: ReadonlySet<string> = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/**
 * Names in lower case; values decoded as Latin-1 (RFC 9110 §5.5: field values are octets, and
 * Latin-1 keeps each one); `Set-Cookie` as a list (RFC 6265 §3: never folded); a repeated field
 * joined with ", " (RFC 9110 §5.3), `Cookie` with "; ", and the first-only ones above kept once.
 */
export function responseHeadersOf(rawHeaders: readonly Buffer[]): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]!.toString('latin1').toLowerCase();
    const value = rawHeaders[index + 1]!.toString('latin1');
    // Never a key that would set the object's prototype instead of a field.
    if (name === '__proto__') continue;
    const existing = headers[name];
    if (name === 'set-cookie') {
      if (existing === undefined) headers['set-cookie'] = [value];
      else (existing as string[]).push(value);
    } else if (existing === undefined) headers[name] = value;
    else if (!firstValueOnly.has(name))
      headers[name] = `${existing as string}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return headers;
}
