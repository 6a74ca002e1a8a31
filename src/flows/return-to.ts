// Validates `return_to`: only a path on the gateway's own origin, so login can never become an open redirect.
import { GatewayError } from '../errors/gateway-error.ts';

// C0 controls, DEL and C1 controls: browsers strip some of them (tab, newline) before parsing,
// which turns `/\t/evil.example` into `//evil.example` (a network-path reference, RFC 3986 §4.2).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;
// Bounded: the value travels sealed in the pending-login cookie, which must stay well under 4 KiB.
const maximumLength = 1024;

/**
 * Contract §3: the first character is `/`, the second neither `/` nor `\`, no control character,
 * and the value resolves against PUBLIC_URL to PUBLIC_URL's own origin. Returns the absolute URL
 * to redirect to, rebuilt from the parsed parts, so the emitted `Location` always starts with the
 * gateway's origin (a relative `Location` re-parsed by a browser is what open redirects exploit).
 */
export function validateReturnTo(value: string | undefined, publicOrigin: string): string {
  if (value === undefined || value === '') return `${publicOrigin}/`;
  const refuse = (reason: string): never => {
    throw new GatewayError(400, 'invalid_request', `return_to ${reason}`);
  };
  if (value.length > maximumLength) refuse(`must be at most ${maximumLength} characters`);
  if (value[0] !== '/') refuse('must be a path starting with "/"');
  if (value[1] === '/' || value[1] === '\\') refuse('must not start with "//" or "/\\"');
  if (controlCharacter.test(value)) refuse('must not contain control characters');
  let resolved: URL;
  try {
    resolved = new URL(value, `${publicOrigin}/`);
  } catch {
    return refuse('must be a valid path');
  }
  if (resolved.origin !== publicOrigin) refuse("must stay on the gateway's origin");
  // A dot segment can turn `/.//evil.example` into the path `//evil.example`; refuse that shape too.
  if (resolved.pathname.startsWith('//')) refuse('must not resolve to a path starting with "//"');
  return `${publicOrigin}${resolved.pathname}${resolved.search}${resolved.hash}`;
}
