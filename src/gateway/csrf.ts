// The anti-forgery check of every state-changing browser endpoint: the `X-CSRF: 1` request header (contract §3, §4).
import type { Context } from 'hono';
import type { ProviderId } from '../config/types.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { audit } from '../observability/audit.ts';
import type { Logger } from '../observability/logger.ts';
import type { GatewayEnv } from './gateway-env.ts';

/**
 * A custom header cannot be sent cross-site without a CORS preflight, which this gateway never
 * grants (OWASP CSRF cheat sheet, "custom request headers"; draft-ietf-oauth-browser-based-apps
 * §6.1.3.2). With the `SameSite=Strict` cookie it is the second of two independent defences.
 */
export function requireAntiForgeryHeader(
  c: Context<GatewayEnv>,
  logger: Logger,
  provider?: ProviderId,
): void {
  if (c.req.header('x-csrf') === '1') return;
  audit(logger, 'csrf_rejected', {
    ...(provider === undefined ? {} : { provider }),
    outcome: 'failure',
    reason: 'missing_x_csrf',
    method: c.req.method,
  });
  throw new GatewayError(403, 'csrf', 'the X-CSRF: 1 request header is required');
}
