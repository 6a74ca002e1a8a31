// GET /auth/login/{provider} and GET /auth/callback/{provider}: the authorization code + PKCE round trip.
import type { Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { ProviderId } from '../../config/types.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import { describeError } from '../../observability/describe-error.ts';
import { completeLogin, type CompletedLogin } from '../../flows/callback.ts';
import { LoginFailure } from '../../flows/login-failure.ts';
import { parseLoginRequest, startLogin } from '../../flows/login.ts';
import { audit } from '../../observability/audit.ts';
import { isPlausibleState } from '../../session/login-cookie.ts';
import type { PendingLogin } from '../../session/pending-logins.ts';
import { expireCookie, writeCookie } from '../cookies.ts';
import { enabledProvider } from '../enabled-provider.ts';
import type { GatewayDependencies, GatewayEnv } from '../gateway-env.ts';
import { renderPopupPage } from '../popup-page.ts';
import { currentSession, setSessionCookie } from '../session-cookie-context.ts';

export function registerLoginRoutes(app: Hono<GatewayEnv>, deps: GatewayDependencies): void {
  app.get('/auth/login/:provider', async function login(c) {
    const provider = enabledProvider(deps, c.req.param('provider')).id;
    const request = parseLoginRequest((name) => c.req.query(name), deps.config.publicOrigin);
    const resolved = await deps.authorizationServers.resolve(provider);
    // The session this browser already has, if any, is joined by a second provider's login — except
    // in handoff mode: the sign-in window is not the app's context, so its session is never joined.
    const joinSessionId =
      request.mode === 'handoff' ? null : ((await currentSession(c, deps))?.sessionId ?? null);
    const { authorizationUrl, state, pending } = await startLogin(resolved, request, joinSessionId);
    const attributes = deps.loginCookie.attributes();
    for (const stale of deps.loginCookie.namesToExpire(Object.keys(getCookie(c)))) {
      expireCookie(c, stale, attributes);
    }
    writeCookie(
      c,
      deps.loginCookie.name(state),
      await deps.loginCookie.seal(state, pending),
      attributes,
    );
    return c.redirect(authorizationUrl.href, 302);
  });

  app.get('/auth/callback/:provider', async function callback(c) {
    const provider = enabledProvider(deps, c.req.param('provider')).id;
    const { state, pending } = await takeBoundPendingLogin(c, deps, provider);
    const callbackParameters = new URL(c.req.url).searchParams;
    try {
      const resolved = await deps.authorizationServers.resolve(provider);
      const completed = await completeLogin(
        resolved,
        pending,
        callbackParameters,
        state,
        deps.now(),
      );
      if (pending.mode === 'handoff') return await handOff(c, deps, pending, completed);
      const previous =
        pending.joinSessionId === null
          ? null
          : await deps.sessions.loadSnapshot(pending.joinSessionId);
      const sessionId = await deps.sessions.commitLogin({
        previous,
        provider,
        tokens: completed.tokens,
        user: completed.user,
      });
      await setSessionCookie(c, deps, sessionId);
      audit(deps.logger, 'login', {
        provider,
        sessionId,
        sub: completed.user?.sub ?? completed.tokens.subject ?? undefined,
        outcome: 'success',
      });
      return finishLogin(c, deps, pending, { provider, ok: true });
    } catch (error) {
      const failure = asLoginFailure(error);
      audit(deps.logger, 'login_failed', { provider, outcome: 'failure', reason: failure.code });
      deps.logger.warn(
        { provider, reason: failure.code, error: describeError(failure.cause ?? failure) },
        'login failed',
      );
      return finishLogin(c, deps, pending, { provider, ok: false, error: failure.code });
    }
  });
}

/**
 * The callback's `state` must match a pending login that THIS browser started (its sealed login
 * cookie, which carries the pending login), that was not used before (a single-use claim in the
 * store), and that was started for this provider (mix-up defence, RFC 9700 §4.4). Anything else
 * is a 400 and changes nothing.
 */
async function takeBoundPendingLogin(
  c: Context<GatewayEnv>,
  deps: GatewayDependencies,
  provider: ProviderId,
): Promise<{ state: string; pending: PendingLogin }> {
  const invalidState = (detail: string): GatewayError =>
    new GatewayError(400, 'invalid_login_state', detail);
  const state = c.req.query('state');
  if (!isPlausibleState(state)) throw invalidState('the login state is missing or malformed');
  const cookieName = deps.loginCookie.name(state);
  const pending = await deps.loginCookie.open(getCookie(c, cookieName), state);
  expireCookie(c, cookieName, deps.loginCookie.attributes());
  if (pending === null) {
    throw invalidState('the login state does not belong to this browser or has expired');
  }
  if (!(await deps.loginStateClaims.claim(state))) {
    throw invalidState('the login state was already used');
  }
  if (pending.provider !== provider)
    throw invalidState('the login was started for another provider');
  return { state, pending };
}

/**
 * Handoff mode (contract §6): the window that signed in does not share the app's cookies, so it
 * gets no session. The completed login waits 60 s under a one-time code bound to the app context's
 * handoff id; the code travels in the fragment of return_to, which reaches neither a server nor a
 * Referer (RFC 3986 §3.5), and only the context holding the handoff cookie can redeem it.
 */
async function handOff(
  c: Context<GatewayEnv>,
  deps: GatewayDependencies,
  pending: PendingLogin,
  completed: CompletedLogin,
): Promise<Response> {
  // The login cookie's shape check guarantees it; refusing here keeps a code from ever being unbound.
  if (pending.handoffId === null) throw new Error('a handoff login without its handoff id');
  const code = await deps.handoffCodes.issue(pending.handoffId, {
    provider: pending.provider,
    tokens: completed.tokens,
    user: completed.user,
  });
  deps.logger.info({ provider: pending.provider }, 'handoff sign-in completed, code issued');
  const location = new URL(pending.returnTo);
  location.hash = `bff_handoff_code=${code}`;
  return c.redirect(location.href, 302);
}

function asLoginFailure(error: unknown): LoginFailure {
  if (error instanceof LoginFailure) return error;
  if (error instanceof GatewayError && error.code === 'provider_unavailable') {
    return new LoginFailure('provider_unavailable', error.message, { cause: error });
  }
  if (error instanceof GatewayError && error.code === 'store_unavailable') throw error;
  return new LoginFailure('login_failed', 'the login could not be completed', { cause: error });
}

/**
 * Redirect mode: 302 to return_to (with `bff_error` on failure). Popup mode: the postMessage page.
 * Handoff mode fails like redirect mode (its success is `handOff`).
 */
function finishLogin(
  c: Context<GatewayEnv>,
  deps: GatewayDependencies,
  pending: PendingLogin,
  result: { provider: ProviderId; ok: boolean; error?: string },
): Response {
  if (pending.mode === 'popup') {
    const page = renderPopupPage(result, deps.config.publicOrigin);
    c.header('Content-Security-Policy', page.contentSecurityPolicy);
    return c.html(page.html, 200);
  }
  const location = new URL(pending.returnTo);
  if (!result.ok) {
    location.searchParams.set('bff_error', result.error ?? 'login_failed');
    location.searchParams.set('bff_provider', result.provider);
  }
  return c.redirect(location.href, 302);
}
