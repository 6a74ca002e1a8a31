// The stand-in's request routing: Entra's URL layout mapped onto oidc-provider, interactions and logout answered here.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { EntraPaths } from './configuration.ts';
import { sendJson } from './http-messages.ts';
import { completeInteraction } from './interactions.ts';
import { describeLogoutRequest, endSession, type LogoutRequestRecord } from './logout.ts';
import type { OidcProvider } from './oidc-provider-module.ts';

/**
 * A sign-in page in front of the interaction: it answers the browser itself and calls `signIn`
 * with the account the user chose (or undefined for login_hint's account) to finish it.
 */
export type InteractionPage = (
  request: IncomingMessage,
  response: ServerResponse,
  signIn: (accountName: string | undefined) => Promise<void>,
) => Promise<void>;

export interface ProviderRoutes {
  readonly issuer: string;
  readonly tenantId: string;
  readonly paths: EntraPaths;
  /** Its middleware must be in place: the request handler is composed once, here. */
  readonly provider: OidcProvider;
  readonly postLogoutRedirectUris: string[];
  readonly logoutRequests: LogoutRequestRecord[];
  readonly forgetSession: (sessionId: string) => void;
  readonly interactionPage?: InteractionPage;
}

/** Answers interactions and logout itself, and hands every other tenant route to oidc-provider. */
export function serveProvider(server: Server, routes: ProviderRoutes): void {
  const { issuer, tenantId, paths, provider, postLogoutRedirectUris, logoutRequests } = routes;
  const handleWithProvider = provider.callback();

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', issuer);
    if (url.pathname.startsWith(paths.interaction)) {
      const signIn = (accountName: string | undefined) =>
        completeInteraction(provider, request, response, routes.forgetSession, accountName);
      return routes.interactionPage === undefined
        ? signIn(undefined)
        : routes.interactionPage(request, response, signIn);
    }
    if (url.pathname === paths.logout) {
      const logoutRequest = describeLogoutRequest(url.searchParams);
      logoutRequests.push(logoutRequest);
      return endSession(request, response, logoutRequest, postLogoutRedirectUris);
    }
    // oidc-provider serves discovery at a fixed `/.well-known/openid-configuration`; Entra serves
    // it under the issuer's path, so that one path is rewritten and every other route is absolute.
    if (url.pathname === paths.discovery) request.url = `/.well-known/openid-configuration`;
    else if (!url.pathname.startsWith(`/${tenantId}/`))
      return sendJson(response, 404, { error: 'not_found' });
    return handleWithProvider(request, response);
  };
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    // What fails here is an interaction lookup (a missing or expired interaction cookie): a client error.
    route(request, response).catch((error: unknown) => {
      const description = error instanceof Error ? error.message : String(error);
      if (!response.headersSent)
        sendJson(response, 400, { error: 'invalid_request', error_description: description });
    });
  });
}
