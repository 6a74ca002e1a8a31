// POST /auth/sso/graph: Office single sign-on — the add-in's SSO token, validated, redeemed On-Behalf-Of, becomes a session.
import type { Hono } from 'hono';
import { GatewayError } from '../../errors/gateway-error.ts';
import { redeemOnBehalfOf } from '../../flows/on-behalf-of.ts';
import { RefreshFailure } from '../../flows/refresh-failure.ts';
import { createSsoTokenValidator, invalidSsoToken } from '../../flows/sso-token.ts';
import { audit } from '../../observability/audit.ts';
import { describeError } from '../../observability/describe-error.ts';
import { requireAntiForgeryHeader } from '../csrf.ts';
import { enabledProvider } from '../enabled-provider.ts';
import type { GatewayDependencies, GatewayEnv } from '../gateway-env.ts';
import { currentSession, setSessionCookie } from '../session-cookie-context.ts';

/** RFC 6750 §2.1 (scheme case-insensitive, RFC 9110 §11.1) with a compact JWS (RFC 7515 §7.1) as credentials. */
const bearerJwtPattern = /^bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

export function registerSsoRoute(app: Hono<GatewayEnv>, deps: GatewayDependencies): void {
  const validator = createSsoTokenValidator(deps.config, deps.authorizationServers, deps.now);

  app.post('/auth/sso/graph', async function officeSingleSignOn(c) {
    // Cross-site forgery: a page elsewhere must not turn a token it somehow holds into a session here.
    requireAntiForgeryHeader(c, deps.logger, 'graph');
    const provider = enabledProvider(deps, 'graph').id;
    try {
      const validated = await validator.validate(bearerToken(c.req.header('authorization')));
      const tokens = await redeemOnBehalfOf(
        await deps.authorizationServers.resolve(provider),
        validated,
        deps.now,
      );
      // Joins the browser's live session (servicenow stays connected); commitLogin issues a NEW
      // session id either way (session fixation defence, RFC 9700 §4.2).
      const sessionId = await deps.sessions.commitLogin({
        previous: await currentSession(c, deps),
        provider,
        tokens,
        user: validated.user,
      });
      await setSessionCookie(c, deps, sessionId);
      audit(deps.logger, 'login', {
        provider,
        sessionId,
        sub: validated.subject,
        outcome: 'success',
        via: 'office_sso',
      });
      return c.json({ provider, ok: true }, 200);
    } catch (error) {
      auditFailure(deps, error);
      throw error;
    }
  });
}

/** The SSO token from `Authorization: Bearer …`; anything else is refused without echoing it. */
function bearerToken(header: string | undefined): string {
  if (header === undefined)
    throw invalidSsoToken('the Authorization header with the SSO token is missing');
  const match = bearerJwtPattern.exec(header.trim());
  if (match?.[1] === undefined)
    throw invalidSsoToken('the Authorization header must carry the SSO token as a Bearer JWT');
  return match[1];
}

/** Codes and correlation ids only (refresh-report.ts does the same): never the token or a body. */
function auditFailure(deps: GatewayDependencies, error: unknown): void {
  const reason = error instanceof GatewayError ? error.code : 'internal_error';
  const failure =
    error instanceof Error && error.cause instanceof RefreshFailure ? error.cause : null;
  const details = failure?.details;
  audit(deps.logger, 'login_failed', {
    provider: 'graph',
    outcome: 'failure',
    reason,
    via: 'office_sso',
    ...(failure?.providerError == null ? {} : { provider_error: failure.providerError }),
    ...(details === undefined || details.errorCodes.length === 0
      ? {}
      : { aadsts: details.errorCodes.join(',') }),
    ...(details?.correlationId == null ? {} : { correlation_id: details.correlationId }),
  });
  if (reason === 'provider_misconfigured') {
    deps.logger.error(
      { provider: 'graph', error: describeError(error), cause: describeError(failure) },
      'the authorization server refused the gateway itself: check the client id, secret and registration',
    );
  }
}
