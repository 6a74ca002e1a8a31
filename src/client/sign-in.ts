// login(provider, options): a popup sign-in that resolves on the gateway's message, or a redirect that leaves the page.
import { checkProvider, type GatewayLocation } from './gateway-location.ts';
import { buildLoginUrl } from './login-url.ts';
import type { PopupLogins } from './popup-login.ts';
import type { LoginOptions, LoginResult } from './types.ts';

export async function signIn(
  gateway: GatewayLocation,
  popups: PopupLogins,
  provider: string,
  options: LoginOptions = {},
): Promise<LoginResult> {
  checkProvider(provider);
  const mode = options.mode ?? 'popup';
  if (mode !== 'popup' && mode !== 'redirect') {
    throw new TypeError("login: mode must be 'popup' or 'redirect'");
  }
  const returnTo =
    options.returnTo ?? (mode === 'redirect' ? currentPath(gateway.origin) : undefined);
  const url = buildLoginUrl(gateway, provider, { ...options, mode, returnTo });
  if (mode === 'redirect') {
    window.location.assign(url.href);
    return { provider, mode };
  }
  await popups.signIn({ provider, url });
  return { provider, mode };
}

/** Where a redirect sign-in comes back to: this page, when it is on the gateway's origin. */
function currentPath(gatewayOrigin: string): string | undefined {
  const page = globalThis.location as Location | undefined;
  if (page === undefined || page.origin !== gatewayOrigin) return undefined;
  return `${page.pathname}${page.search}`;
}
