// Logout in its three forms: the whole session, one provider, and every session a back-channel logout token names.
import type { GatewayConfig, ProviderConfig, ProviderId } from '../config/types.ts';
import { audit } from '../observability/audit.ts';
import { describeError } from '../observability/describe-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { SessionRepository } from '../session/session-repository.ts';
import type { EndedSession } from '../session/session-types.ts';
import type { AuthorizationServers } from './authorization-servers.ts';
import { endSessionUrl, openIdProviderOf } from './end-session.ts';
import type { VerifiedLogoutToken } from './logout-token.ts';
import { revokeAll, revokeProviderTokens, type RevocationOutcome } from './token-revocation.ts';

export interface LogoutContext {
  readonly config: GatewayConfig;
  readonly sessions: SessionRepository;
  readonly authorizationServers: AuthorizationServers;
  readonly logger: Logger;
}

/**
 * `POST /auth/logout`: the session's record goes first (so nothing can use it even if a provider
 * hangs), then its tokens are revoked, in parallel and bounded by PROVIDER_TIMEOUT_S, then the
 * OpenID provider's end-session URL is built for the SPA to navigate to.
 */
export async function logOut(
  context: LogoutContext,
  sessionId: string | null,
): Promise<{ endSessionUrl: string | null }> {
  const ended = sessionId === null ? null : await context.sessions.endSession(sessionId);
  if (ended === null) {
    audit(context.logger, 'logout', {
      ...(sessionId === null ? {} : { sessionId }),
      outcome: 'success',
      reason: 'no_session',
    });
    return { endSessionUrl: null };
  }
  const revocations = await revokeAll(
    context.authorizationServers,
    ended.providers,
    context.logger,
  );
  auditEnded(context.logger, 'logout', ended, revocations, null);
  return { endSessionUrl: await endSessionUrlOf(context, ended) };
}

/** `POST /auth/logout/{provider}`: that provider's tokens are removed and revoked; the session stays. */
export async function disconnectProvider(
  context: LogoutContext,
  sessionId: string | null,
  provider: ProviderConfig,
): Promise<void> {
  // The user came from the OpenID provider's ID token: without it, nobody is named (contract §3).
  const tokens =
    sessionId === null
      ? null
      : await context.sessions.disconnectProvider(sessionId, provider.id, {
          forgetUser: provider.openId,
        });
  const revocation =
    tokens === null
      ? null
      : await revokeProviderTokens(
          context.authorizationServers,
          provider.id,
          tokens,
          context.logger,
        );
  audit(context.logger, 'logout', {
    provider: provider.id,
    ...(sessionId === null ? {} : { sessionId }),
    ...(tokens?.subject == null ? {} : { sub: tokens.subject }),
    outcome: 'success',
    reason: tokens === null ? 'not_connected' : 'provider_disconnected',
    ...(revocation === null ? {} : { revocation: `${provider.id}:${revocation}` }),
  });
}

/**
 * `POST /auth/backchannel-logout`, after the token was verified and its `jti` claimed: ends every
 * matching session. Revocation runs after the answer (the provider waits on it, RFC 7009 requests
 * to other providers could make it time out); its failures are logged like a logout's.
 */
export async function logOutFromBackChannel(
  context: LogoutContext,
  token: VerifiedLogoutToken,
): Promise<{ endedSessions: number; revocations: Promise<void> }> {
  const endedSessions = await context.sessions.endSessionsMatching(token.match);
  if (endedSessions.length === 0) {
    audit(context.logger, 'backchannel_logout', {
      provider: token.provider,
      ...(token.subject === null ? {} : { sub: token.subject }),
      outcome: 'success',
      reason: 'no_matching_session',
    });
  }
  const revocations = Promise.all(
    endedSessions.map(async (ended) => {
      const outcomes = await revokeAll(
        context.authorizationServers,
        ended.providers,
        context.logger,
      );
      auditEnded(context.logger, 'backchannel_logout', ended, outcomes, token.provider);
    }),
  ).then(() => undefined);
  return { endedSessions: endedSessions.length, revocations };
}

/** Null when the session had no OpenID provider, or its end-session endpoint cannot be had now (logged). */
async function endSessionUrlOf(
  context: LogoutContext,
  ended: EndedSession,
): Promise<string | null> {
  const openIdProviders = [...context.config.providers.values()]
    .filter((provider) => provider.openId)
    .map((provider) => provider.id);
  const providerId = openIdProviderOf(ended, openIdProviders);
  if (providerId === null) return null;
  try {
    const provider = await context.authorizationServers.resolve(providerId);
    return endSessionUrl(provider, ended, {
      publicOrigin: context.config.publicOrigin,
      allowInsecureHttp: context.config.allowInsecureHttp,
    });
  } catch (error) {
    context.logger.warn(
      { provider: providerId, error: describeError(error) },
      'the end-session endpoint is unknown (discovery failed): logout answers without it',
    );
    return null;
  }
}

function auditEnded(
  logger: Logger,
  event: 'logout' | 'backchannel_logout',
  ended: EndedSession,
  revocations: ReadonlyMap<ProviderId, RevocationOutcome>,
  /** The OpenID provider that sent the logout token (back-channel); null for the user's own logout. */
  initiatingProvider: ProviderId | null,
): void {
  audit(logger, event, {
    ...(initiatingProvider === null ? {} : { provider: initiatingProvider }),
    sessionDigest: ended.sessionDigest,
    ...(ended.user === null ? {} : { sub: ended.user.sub }),
    outcome: 'success',
    reason: initiatingProvider === null ? 'user_logout' : 'provider_logout',
    providers: [...ended.providers.keys()].join(','),
    revocation: [...revocations].map(([id, outcome]) => `${id}:${outcome}`).join(','),
  });
}
