// Security headers on every response the gateway itself generates (proxied responses keep the upstream's).
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { MiddlewareHandler } from 'hono';
import type { GatewayEnv } from './gateway-env.ts';

interface HeaderRule {
  readonly name: string;
  readonly value: string;
  /** The route's own value wins (the popup page sets a CSP with its script nonce). */
  readonly unlessRouteSetOne?: true;
}

/** On every answer the gateway writes itself, whatever the path. */
export const everyAnswerHeaders: readonly HeaderRule[] = [
  // Fetch Standard, `X-Content-Type-Options`: a JSON or problem body is never sniffed into HTML or script.
  { name: 'X-Content-Type-Options', value: 'nosniff' },
];

/**
 * On every `/auth/*` answer. They are personal and may follow a URL holding an authorization code.
 *
 * No `Cross-Origin-Opener-Policy`: in popup mode one window shows, in turn, the gateway's login
 * route, the provider's pages and the callback page, and the callback page needs `window.opener` to
 * post its result. A policy other than `unsafe-none` on any of them (`same-origin`, and
 * `same-origin-allow-popups` too: it spares the windows a page opens, not the page's own opener)
 * differs from the provider pages' policy, so the browser moves the window to a new browsing
 * context group and nulls its opener (HTML Standard, "check if COOP values require a browsing
 * context group switch"). The other `/auth/*` answers are redirects and JSON: COOP acts on
 * documents only.
 */
export const authAnswerHeaders: readonly HeaderRule[] = [
  // RFC 9111 §5.2.2.5: personal answers (session state, a fresh login cookie) are never stored.
  // A route's own value wins: /auth/client.js is the same public code for everyone and says
  // `no-cache` (revalidate with its ETag); every personal /auth answer sets none or `no-store`.
  { name: 'Cache-Control', value: 'no-store', unlessRouteSetOne: true },
  // W3C Referrer Policy: the callback URL carries the authorization code; never send it onwards.
  { name: 'Referrer-Policy', value: 'no-referrer' },
  // RFC 7034: clickjacking of the login flow, for browsers without CSP frame-ancestors.
  { name: 'X-Frame-Options', value: 'DENY' },
  // CSP 3 §6.4.2 frame-ancestors against clickjacking; `default-src 'none'`: none of these answers
  // is a page that loads anything, so a future HTML answer must state its own policy (strict by default).
  {
    name: 'Content-Security-Policy',
    value: "default-src 'none'; frame-ancestors 'none'",
    unlessRouteSetOne: true,
  },
  // Fetch Standard, `Cross-Origin-Resource-Policy`: a same-site, cross-origin page (a sibling
  // subdomain, whose requests carry the SameSite=Strict cookie) cannot pull /auth/session into its
  // own process with a no-cors load (Spectre).
  { name: 'Cross-Origin-Resource-Policy', value: 'same-origin' },
];

/**
 * With an https PUBLIC_URL, every answer the gateway writes also carries HSTS (RFC 6797): after the
 * first visit the browser never tries plain http on this origin, where a network attacker could
 * strip TLS before the `Secure` cookie matters. One year; no `includeSubDomains`, which would bind
 * hosts the gateway does not serve.
 */
export const strictTransportSecurity: HeaderRule = {
  name: 'Strict-Transport-Security',
  value: 'max-age=31536000',
};

export function securityHeaders(options: { https: boolean }): MiddlewareHandler<GatewayEnv> {
  const everyAnswer = options.https
    ? [...everyAnswerHeaders, strictTransportSecurity]
    : everyAnswerHeaders;
  return async function applySecurityHeaders(c, next) {
    await next();
    // A proxied response went out on the raw socket; touching c.res would replace the marker
    // object and make the server try to write a second response.
    if (c.res === RESPONSE_ALREADY_SENT) return;
    const rules = c.req.path.startsWith('/auth/')
      ? [...everyAnswer, ...authAnswerHeaders]
      : everyAnswer;
    // On the answer's own Headers: `c.header()` after a route answered rebuilds the whole Response
    // for every call, which also drops @hono/node-server's fast path for string bodies (measured:
    // /healthz cost 2.5× the CPU). A Response whose headers are immutable (one made by `fetch`)
    // throws, and is then rebuilt once through Hono.
    const headers = c.res.headers;
    try {
      applyRules(rules, headers);
    } catch {
      c.res = new Response(c.res.body, c.res);
      applyRules(rules, c.res.headers);
    }
  };
}

function applyRules(rules: readonly HeaderRule[], headers: Headers): void {
  for (const rule of rules) {
    if (rule.unlessRouteSetOne === true && headers.has(rule.name)) continue;
    headers.set(rule.name, rule.value);
  }
}
