// Writes the gateway's cookies onto Hono responses from framework-free attribute objects.
import type { Context } from 'hono';
import { setCookie } from 'hono/cookie';
import type { CookieAttributes } from '../session/session-cookie.ts';

export function writeCookie(
  c: Context,
  name: string,
  value: string,
  attributes: CookieAttributes,
): void {
  setCookie(c, name, value, {
    httpOnly: attributes.httpOnly,
    secure: attributes.secure,
    sameSite: attributes.sameSite,
    path: attributes.path,
    maxAge: attributes.maxAgeSeconds,
  });
}

/** Expires a cookie in the browser (Max-Age=0) with the same attributes it was set with. */
export function expireCookie(c: Context, name: string, attributes: CookieAttributes): void {
  writeCookie(c, name, '', { ...attributes, maxAgeSeconds: 0 });
}
