// POST /auth/handoff and POST /auth/handoff/redeem: sign-in in a window that does not share the app's cookies (contract §6).
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import { GatewayError } from '../../errors/gateway-error.ts';
import {
  handoffLoginUrl,
  parseHandoffRequest,
  parseRedeemRequest,
  redeemHandoff,
} from '../../flows/handoff.ts';
import { audit } from '../../observability/audit.ts';
import { expireCookie, writeCookie } from '../cookies.ts';
import { requireAntiForgeryHeader } from '../csrf.ts';
import { enabledProvider } from '../enabled-provider.ts';
import type { GatewayDependencies, GatewayEnv } from '../gateway-env.ts';
import { sessionIdOfCookie, setSessionCookie } from '../session-cookie-context.ts';

/** Both bodies are a few dozen bytes of JSON; anything far larger is not one of them. */
const maximumBodyBytes = 4 * 1024;

export function registerHandoffRoutes(app: Hono<GatewayEnv>, deps: GatewayDependencies): void {
  const guards = [antiForgeryFirst(deps), smallBody()] as const;
  /**
   * Stateless start: only a sealed cookie is written, never the store, so unauthenticated traffic
   * to this endpoint cannot fill it (like a login start).
   */
  app.post('/auth/handoff', ...guards, async function startHandoff(c) {
    const request = parseHandoffRequest(await readJsonBody(c), deps.config.publicOrigin);
    const provider = enabledProvider(deps, request.provider).id;
    const { handoff, value } = await deps.handoffCookie.start(provider);
    writeCookie(c, deps.handoffCookie.name, value, deps.handoffCookie.attributes());
    return c.json({
      handoff_id: handoff.handoffId,
      login_url: handoffLoginUrl(
        provider,
        handoff.handoffId,
        request.returnTo,
        deps.config.publicOrigin,
      ),
    });
  });

  app.post('/auth/handoff/redeem', ...guards, async function redeem(c) {
    try {
      const code = parseRedeemRequest(await readJsonBody(c));
      const handoff = await deps.handoffCookie.open(getCookie(c, deps.handoffCookie.name));
      const { sessionId, login } = await redeemHandoff(
        deps,
        handoff,
        code,
        await sessionIdOfCookie(c, deps),
      );
      await setSessionCookie(c, deps, sessionId);
      // Used: the next handoff of this context starts afresh.
      expireCookie(c, deps.handoffCookie.name, deps.handoffCookie.attributes());
      audit(deps.logger, 'login', {
        provider: login.provider,
        sessionId,
        sub: login.user?.sub ?? login.tokens.subject ?? undefined,
        outcome: 'success',
        via: 'handoff',
      });
      return c.json({ provider: login.provider, ok: true });
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'invalid_handoff') {
        // Neither the code nor the handoff id: a refused code must not become a readable one.
        audit(deps.logger, 'login_failed', {
          outcome: 'failure',
          reason: 'invalid_handoff',
          via: 'handoff',
        });
      }
      throw error;
    }
  });
}

/** Contract §6: `X-CSRF: 1` is checked before anything is read, like every state-changing endpoint. */
function antiForgeryFirst(deps: GatewayDependencies): MiddlewareHandler<GatewayEnv> {
  return async function requireHandoffAntiForgery(c, next) {
    requireAntiForgeryHeader(c, deps.logger);
    await next();
  };
}

function smallBody(): MiddlewareHandler<GatewayEnv> {
  return bodyLimit({
    maxSize: maximumBodyBytes,
    onError: () => {
      throw new GatewayError(413, 'content_too_large', 'the request body is too large');
    },
  });
}

/** JSON only: another media type, or a body that does not parse, is a 400 naming what was expected. */
async function readJsonBody(c: Context<GatewayEnv>): Promise<unknown> {
  const mediaType = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json')
    throw new GatewayError(400, 'invalid_request', 'the request body must be application/json');
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GatewayError(400, 'invalid_request', 'the request body is not valid JSON');
  }
}
