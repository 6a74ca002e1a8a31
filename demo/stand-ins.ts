// The demo's stand-ins: an Entra-like OpenID provider with a sign-in page, a ServiceNow instance, mock Graph, and the SPA's own server.
import { startMockGraph } from '../test/support/mock-graph.ts';
import { startOpenIdProvider } from '../test/support/openid-provider.ts';
import { startServiceNowStandIn } from '../test/support/servicenow-stand-in.ts';
import { startDemoAppServer } from './app-server.ts';
import { demoCredentials, demoTenantId, type DemoSettings } from './settings.ts';
import { createSignInPage } from './sign-in-page.ts';

export interface DemoStandIns {
  /** The gateway's provider and app variables pointing at these stand-ins. */
  readonly gatewayEnvironment: Readonly<Record<string, string>>;
  /** Every code, access, refresh and ID token the stand-ins handed out (tests check none reaches the page). */
  issuedSecrets(): readonly string[];
  /** Closes every stand-in. */
  close(): Promise<void>;
}

/** Demo tokens live 10 minutes, so a session left open shows a real refresh on the next call. */
const accessTokenTtlSeconds = 600;

export async function startDemoStandIns(
  settings: DemoSettings,
  publicUrl: string,
): Promise<DemoStandIns> {
  const signedInAccounts = new Set<string>();
  const listen = (port: number) => ({ host: settings.host, port });
  const identityProvider = await startOpenIdProvider({
    tenantId: demoTenantId,
    clientId: demoCredentials.graphClientId,
    clientSecret: demoCredentials.graphClientSecret,
    redirectUris: [`${publicUrl}/auth/callback/graph`],
    postLogoutRedirectUris: [`${publicUrl}/`],
    accessTokenTtlSeconds,
    listen: listen(settings.ports.identityProvider),
    interactionPage: createSignInPage(signedInAccounts),
  });
  const serviceNow = await startServiceNowStandIn({
    redirectUris: [`${publicUrl}/auth/callback/servicenow`],
    clientId: demoCredentials.serviceNowClientId,
    clientSecret: demoCredentials.serviceNowClientSecret,
    accessTokenTtlSeconds,
    listen: listen(settings.ports.serviceNow),
  });
  const graph = await startMockGraph({
    openIdProvider: identityProvider,
    listen: listen(settings.ports.graph),
  });
  const app = await startDemoAppServer({
    listen: listen(settings.ports.app),
    folder: settings.appDirectory,
    async revoke() {
      for (const account of signedInAccounts) await identityProvider.revokeAccount(account);
      serviceNow.rejectAccessTokens();
      serviceNow.revokeRefreshTokens();
    },
  });
  return {
    gatewayEnvironment: {
      GRAPH_CLIENT_ID: demoCredentials.graphClientId,
      GRAPH_CLIENT_SECRET: demoCredentials.graphClientSecret,
      GRAPH_ISSUER: identityProvider.issuer,
      GRAPH_API_URL: graph.url,
      GRAPH_SCOPES: 'openid profile email offline_access User.Read Mail.Read',
      ...serviceNow.environment(),
      APP_UPSTREAM_URL: app.url,
    },
    issuedSecrets: () => [...identityProvider.issuedSecrets, ...serviceNow.issuedSecrets],
    async close() {
      await app.close();
      await graph.close();
      await serviceNow.close();
      await identityProvider.close();
    },
  };
}
