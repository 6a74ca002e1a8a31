import { type GatewayContext } from './provider-fetch.ts';
import type { HandoffStart, SignInResult } from './types.ts';
/**
 * The handoff code in a URL fragment (default this page's), or null when there is none or it is
 * not a well-formed code. A fragment never reaches a server; the page should pass the code to its
 * parent (Office `messageParent`, Teams `notifySuccess`) and then clear it from the address bar.
 */
export declare function readHandoffCode(hash?: string): string | null;
/** Step 1, in the app's context: the gateway sets the handoff cookie here and names the sign-in URL. */
export declare function startHandoff(context: GatewayContext, provider: string, options?: {
    readonly returnTo?: string;
}): Promise<HandoffStart>;
/** Step 3, in the app's context again: the provider joins this context's session. */
export declare function redeemHandoff(context: GatewayContext, code: string): Promise<SignInResult>;
/**
 * Office single sign-on: the add-in's SSO token (`Office.auth.getAccessToken()`) is exchanged by
 * the gateway (On-Behalf-Of) for Graph tokens. When Entra wants an interactive step the answer is a
 * ReauthRequiredError whose loginUrl is the popup sign-in (the add-in opens it in a dialog).
 */
export declare function signInWithOfficeSso(context: GatewayContext, token: string): Promise<SignInResult>;
