// login(provider, options): a popup sign-in that resolves on the gateway's message, or a redirect that leaves the page.
import { checkProvider } from "./gateway-location.js";
import { buildLoginUrl } from "./login-url.js";
export async function signIn(gateway, popups, provider, options = {}) {
    checkProvider(provider);
    const mode = options.mode ?? 'popup';
    if (mode !== 'popup' && mode !== 'redirect') {
        throw new TypeError("login: mode must be 'popup' or 'redirect'");
    }
    const returnTo = options.returnTo ?? (mode === 'redirect' ? currentPath(gateway.origin) : undefined);
    const url = buildLoginUrl(gateway, provider, { ...options, mode, returnTo });
    if (mode === 'redirect') {
        window.location.assign(url.href);
        return { provider, mode };
    }
    await popups.signIn({ provider, url });
    return { provider, mode };
}
/** Where a redirect sign-in comes back to: this page, when it is on the gateway's origin. */
function currentPath(gatewayOrigin) {
    const page = globalThis.location;
    if (page === undefined || page.origin !== gatewayOrigin)
        return undefined;
    return `${page.pathname}${page.search}`;
}
