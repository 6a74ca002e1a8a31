import type { PopupLogins } from './popup-login.ts';
import { type GatewayContext } from './provider-fetch.ts';
export type ProviderFetch = (provider: string, path: string, init?: RequestInit) => Promise<Response>;
export declare function withReauthPolicy(context: GatewayContext, popups: PopupLogins, onReauth: 'throw' | 'popup'): ProviderFetch;
