// The gateway configured against the scripted Entra-like server, started before a test file's tests, with the script reset before each test.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startGatewayHarness, type GatewayHarness } from './gateway-harness.ts';
import {
  startScriptedAuthorizationServer,
  type ScriptedAuthorizationServer,
} from './scripted-authorization-server.ts';

export interface ScriptedGatewayStack {
  readonly stand: ScriptedAuthorizationServer;
  readonly harness: GatewayHarness;
}

/**
 * Graph's authorization server is the scripted one (GRAPH_ISSUER, client credentials, and mock
 * Graph accepting its tokens); `environment` adds or overrides variables once the server is known.
 */
export function useScriptedGatewayHarness(
  options: {
    readonly multiTenant?: boolean;
    readonly environment?: (stand: ScriptedAuthorizationServer) => Record<string, string>;
  },
  use: (stack: ScriptedGatewayStack) => void,
): void {
  let stand: ScriptedAuthorizationServer | undefined;
  let harness: GatewayHarness | undefined;
  beforeAll(async () => {
    stand = await startScriptedAuthorizationServer({ multiTenant: options.multiTenant ?? false });
    harness = await startGatewayHarness(
      {
        GRAPH_ISSUER: stand.discoveryIssuer,
        GRAPH_CLIENT_ID: stand.clientId,
        GRAPH_CLIENT_SECRET: stand.clientSecret,
        ...options.environment?.(stand),
      },
      { graphTokens: stand },
    );
    use({ stand, harness });
  });
  afterAll(async () => {
    await harness?.close();
    await stand?.close();
  });
  beforeEach(() => {
    if (stand !== undefined) stand.script = {};
  });
}
