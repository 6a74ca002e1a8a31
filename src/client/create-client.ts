// createClient: the SPA's one object for talking to the gateway (contract §6), composed from the small parts beside it.
import { locateGateway } from './gateway-location.ts';
import * as handoff from './handoff.ts';
import { PopupLogins } from './popup-login.ts';
import type { GatewayContext } from './provider-fetch.ts';
import { withReauthPolicy } from './reauth-policy.ts';
import { logOut, readSession } from './session.ts';
import { signIn } from './sign-in.ts';
import type { BffClient, ClientOptions } from './types.ts';

export function createClient(options: ClientOptions = {}): BffClient {
  const onReauth = options.onReauth ?? 'throw';
  if (onReauth !== 'throw' && onReauth !== 'popup') {
    throw new TypeError("createClient: onReauth must be 'throw' or 'popup'");
  }
  const gateway = locateGateway(options.baseUrl ?? '');
  // Called as a plain function: a browser's fetch refuses to run with another `this`.
  const fetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const context: GatewayContext = { gateway, fetch: fetchFunction };
  // Per client: its pending popup per provider and its count of completed sign-ins.
  const popups = new PopupLogins(gateway.origin);
  const providerFetch = withReauthPolicy(context, popups, onReauth);
  return {
    fetch: providerFetch,
    graph: (path, init) => providerFetch('graph', path, init),
    servicenow: (path, init) => providerFetch('servicenow', path, init),
    session: () => readSession(context),
    login: (provider, loginOptions) => signIn(gateway, popups, provider, loginOptions),
    logout: (logoutOptions) => logOut(context, logoutOptions),
    startHandoff: (provider, handoffOptions) =>
      handoff.startHandoff(context, provider, handoffOptions),
    redeemHandoff: (code) => handoff.redeemHandoff(context, code),
    signInWithOfficeSso: (token) => handoff.signInWithOfficeSso(context, token),
  };
}
