// POST /auth/backchannel-logout: an OpenID provider ends sessions server to server (OpenID Connect Back-Channel Logout 1.0).
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { GatewayError } from '../../errors/gateway-error.ts';
import { logOutFromBackChannel } from '../../flows/logout.ts';
import type { VerifiedLogoutToken } from '../../flows/logout-token.ts';
import { audit } from '../../observability/audit.ts';
import { describeError } from '../../observability/describe-error.ts';
import type { GatewayDependencies, GatewayEnv } from '../gateway-env.ts';

/** A logout token is a few hundred bytes; anything far larger is not one. */
const maximumBodyBytes = 16 * 1024;

export function registerBackChannelLogoutRoute(
  app: Hono<GatewayEnv>,
  deps: GatewayDependencies,
): void {
  app.post(
    '/auth/backchannel-logout',
    bodyLimit({
      maxSize: maximumBodyBytes,
      onError: () => {
        throw new GatewayError(413, 'content_too_large', 'the request body is too large');
      },
    }),
    async function backChannelLogout(c) {
      try {
        const logoutToken = readLogoutToken(c.req.header('content-type'), await c.req.text());
        const verified = await deps.logoutTokens.verify(logoutToken);
        await endSessionsOnce(deps, verified);
      } catch (error) {
        if (error instanceof GatewayError && error.status < 500) {
          audit(deps.logger, 'backchannel_logout', {
            outcome: 'failure',
            reason: error.code,
            detail: error.message,
          });
          deps.logger.warn({ error: describeError(error.cause) }, 'back-channel logout refused');
        }
        throw error;
      }
      // §2.8: the answer must not be cached.
      c.header('Cache-Control', 'no-store');
      return c.body(null, 200);
    },
  );
}

/**
 * §2.6 step 7: a `jti` seen before is a replay. The claim is given back when ending the sessions
 * failed (the store), so the provider's retry is not refused as a replay.
 */
async function endSessionsOnce(
  deps: GatewayDependencies,
  verified: VerifiedLogoutToken,
): Promise<void> {
  const { issuer, tokenId } = verified;
  if (!(await deps.logoutTokenClaims.claim(issuer, tokenId)))
    throw new GatewayError(400, 'invalid_logout_token', 'the logout token was already used');
  let ended: Awaited<ReturnType<typeof logOutFromBackChannel>>;
  try {
    ended = await logOutFromBackChannel(deps, verified);
  } catch (error) {
    await deps.logoutTokenClaims
      .release(issuer, tokenId)
      .catch((releaseError: unknown) =>
        deps.logger.warn(
          { error: describeError(releaseError) },
          'a used logout token could not be released: the provider retrying it will be refused',
        ),
      );
    throw error;
  }
  // Revocation is best effort and logs its own failures; the provider is answered without waiting.
  ended.revocations.catch((error: unknown) =>
    deps.logger.warn(
      { error: describeError(error) },
      'revocation after back-channel logout failed',
    ),
  );
}

/** §2.5: `logout_token` form-posted, exactly once. */
function readLogoutToken(contentType: string | undefined, body: string): string {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded')
    throw new GatewayError(
      400,
      'invalid_logout_token',
      'the request must be application/x-www-form-urlencoded',
    );
  const values = new URLSearchParams(body).getAll('logout_token');
  const [logoutToken] = values;
  if (values.length !== 1 || logoutToken === undefined || logoutToken === '')
    throw new GatewayError(400, 'invalid_logout_token', 'exactly one logout_token is required');
  return logoutToken;
}
