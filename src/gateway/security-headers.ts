// Security headers on every response the gateway itself generates (proxied responses keep the upstream's).
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { MiddlewareHandler } from 'hono';
import type { GatewayEnv } from './gateway-env.ts';

/**
 * `/auth/*` answers are personal and may follow a URL holding an authorization code: never cache
 * them (RFC 9111 §5.2.2.5), never send that URL as a Referer (the code would leak to whatever the
 * page links to), never frame them (clickjacking of the login flow).
 */
export function securityHeaders(): MiddlewareHandler<GatewayEnv> {
  return async function applySecurityHeaders(c, next) {
    await next();
    // A proxied response went out on the raw socket; touching c.res would replace the marker
    // object and make the server try to write a second response.
    if (c.res === RESPONSE_ALREADY_SENT) return;
    c.header('X-Content-Type-Options', 'nosniff');
    if (c.req.path.startsWith('/auth/')) {
      c.header('Cache-Control', 'no-store');
      c.header('Referrer-Policy', 'no-referrer');
      c.header('X-Frame-Options', 'DENY');
    }
  };
}
