// createClient: the SPA's one object for talking to the gateway (contract §6), composed from the small parts beside it.
import { ReauthRequiredError } from "./errors.js";
import { checkProvider, locateGateway } from "./gateway-location.js";
import * as handoff from "./handoff.js";
import { buildLoginUrl } from "./login-url.js";
import { PopupLogins } from "./popup-login.js";
import { isReplayable, sendToProvider } from "./provider-fetch.js";
import { logOut, readSession } from "./session.js";
export function createClient(options = {}) {
    const onReauth = options.onReauth ?? 'throw';
    if (onReauth !== 'throw' && onReauth !== 'popup') {
        throw new TypeError("createClient: onReauth must be 'throw' or 'popup'");
    }
    const gateway = locateGateway(options.baseUrl ?? '');
    // Called as a plain function: a browser's fetch refuses to run with another `this`.
    const fetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const context = { gateway, fetch: fetchFunction };
    const popups = new PopupLogins(gateway.origin);
    async function login(provider, loginOptions = {}) {
        checkProvider(provider);
        const mode = loginOptions.mode ?? 'popup';
        if (mode !== 'popup' && mode !== 'redirect') {
            throw new TypeError("login: mode must be 'popup' or 'redirect'");
        }
        const returnTo = loginOptions.returnTo ?? (mode === 'redirect' ? currentPath(gateway.origin) : undefined);
        const url = buildLoginUrl(gateway, provider, { ...loginOptions, mode, returnTo });
        if (mode === 'redirect') {
            window.location.assign(url.href);
            return { provider, mode };
        }
        await popups.signIn({ provider, url });
        return { provider, mode };
    }
    /** `onReauth: 'popup'`: one popup per provider for every call that met reauth, then one retry each. */
    async function fetchWithPolicy(provider, path, init = {}) {
        const signInsBefore = popups.generation(provider);
        try {
            return await sendToProvider(context, provider, path, init);
        }
        catch (error) {
            // A streamed body is gone after the first send: the app must sign in and send it itself.
            if (onReauth !== 'popup' ||
                !(error instanceof ReauthRequiredError) ||
                !isReplayable(init.body))
                throw error;
            // A sign-in that completed while this call was in flight already answers its reauth.
            if (popups.generation(provider) === signInsBefore)
                await signInAgain(error);
            // Once: a second reauth answer is the app's to handle (thrown as is).
            return sendToProvider(context, provider, path, init);
        }
    }
    async function signInAgain(reauth) {
        try {
            const url = buildLoginUrl(gateway, reauth.provider, {
                mode: 'popup',
                loginUrl: reauth.loginUrl,
            });
            await popups.signIn({ provider: reauth.provider, url });
        }
        catch (loginError) {
            // Still a reauth for the app (show a sign-in button); `cause` says why the popup did not help.
            throw new ReauthRequiredError(reauth, { cause: loginError });
        }
    }
    return {
        fetch: fetchWithPolicy,
        graph: (path, init) => fetchWithPolicy('graph', path, init),
        servicenow: (path, init) => fetchWithPolicy('servicenow', path, init),
        session: () => readSession(context),
        login,
        logout: (logoutOptions) => logOut(context, logoutOptions),
        startHandoff: (provider, handoffOptions) => handoff.startHandoff(context, provider, handoffOptions),
        redeemHandoff: (code) => handoff.redeemHandoff(context, code),
        signInWithOfficeSso: (token) => handoff.signInWithOfficeSso(context, token),
    };
}
/** Where a redirect sign-in comes back to: this page, when it is on the gateway's origin. */
function currentPath(gatewayOrigin) {
    const page = globalThis.location;
    if (page === undefined || page.origin !== gatewayOrigin)
        return undefined;
    return `${page.pathname}${page.search}`;
}
