// createClient: the SPA's one object for talking to the gateway (contract §6), composed from the small parts beside it.
import { locateGateway } from "./gateway-location.js";
import * as handoff from "./handoff.js";
import { PopupLogins } from "./popup-login.js";
import { withReauthPolicy } from "./reauth-policy.js";
import { logOut, readSession } from "./session.js";
import { signIn } from "./sign-in.js";
export function createClient(options = {}) {
    const onReauth = options.onReauth ?? 'throw';
    if (onReauth !== 'throw' && onReauth !== 'popup') {
        throw new TypeError("createClient: onReauth must be 'throw' or 'popup'");
    }
    const gateway = locateGateway(options.baseUrl ?? '');
    // Called as a plain function: a browser's fetch refuses to run with another `this`.
    const fetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const context = { gateway, fetch: fetchFunction };
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
        startHandoff: (provider, handoffOptions) => handoff.startHandoff(context, provider, handoffOptions),
        redeemHandoff: (code) => handoff.redeemHandoff(context, code),
        signInWithOfficeSso: (token) => handoff.signInWithOfficeSso(context, token),
    };
}
