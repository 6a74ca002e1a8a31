// The client's public shapes: options, the client object, and the JSON the gateway's /auth endpoints answer.
import type { FetchFunction } from './provider-fetch.ts';

export interface ClientOptions {
  /**
   * The gateway's origin (`https://app.example.com`); default '' = this page's origin, the usual
   * deployment. Another origin means cross-origin requests with `credentials: 'include'`, which
   * the gateway does not grant by itself (no CORS) and popups cannot report to (see docs/CLIENT.md).
   */
  readonly baseUrl?: string;
  /**
   * `throw` (default): a reauth answer rejects with ReauthRequiredError. `popup`: sign in again in
   * a popup (one per provider, shared by concurrent calls), then send the request once more.
   */
  readonly onReauth?: 'throw' | 'popup';
  /** Default `globalThis.fetch`; a replacement (tests, instrumentation) must return real Responses. */
  readonly fetch?: FetchFunction;
}

export interface LoginOptions {
  /** `popup` (default): resolves when the popup reports success. `redirect`: leaves the page. */
  readonly mode?: 'popup' | 'redirect';
  /** Redirect mode: the app path to come back to (default: this page's path and query). */
  readonly returnTo?: string;
  /** A login URL the gateway handed out (ReauthRequiredError.loginUrl: it may carry a claims challenge). */
  readonly loginUrl?: string;
  /** OpenID Connect `prompt` (`select_account`, `login`, `consent`). */
  readonly prompt?: string;
  /** OpenID Connect `login_hint` (the user's sign-in name). */
  readonly loginHint?: string;
}

export interface LoginResult {
  readonly provider: string;
  readonly mode: 'popup' | 'redirect';
}

export interface LogoutOptions {
  /** Default true: go on to the identity provider's end-session page when the gateway names one. */
  readonly redirect?: boolean;
}

export interface LogoutResult {
  readonly endSessionUrl: string | null;
}

export interface SessionUser {
  readonly sub: string;
  readonly name: string | null;
  readonly email: string | null;
}

export type ProviderStatus =
  | { readonly connected: true; readonly expires_at: string; readonly scopes: readonly string[] }
  | { readonly connected: false; readonly login_url: string };

/** GET /auth/session (contract §3). Never holds a token. */
export interface SessionInfo {
  readonly authenticated: boolean;
  /** From the OpenID provider's ID token; null while only a plain OAuth provider is connected. */
  readonly user: SessionUser | null;
  /** Every enabled provider, by id. */
  readonly providers: Readonly<Record<string, ProviderStatus>>;
}

export interface HandoffStart {
  readonly handoffId: string;
  /** Absolute: open it in the host's sign-in window (Office dialog, Teams authentication window). */
  readonly loginUrl: string;
}

export interface SignInResult {
  readonly provider: string;
  readonly ok: true;
}

export interface BffClient {
  /** `init` goes to `/{provider}{path}` through the gateway, with `X-CSRF: 1` added. */
  fetch(provider: string, path: string, init?: RequestInit): Promise<Response>;
  graph(path: string, init?: RequestInit): Promise<Response>;
  servicenow(path: string, init?: RequestInit): Promise<Response>;
  session(): Promise<SessionInfo>;
  login(provider: string, options?: LoginOptions): Promise<LoginResult>;
  logout(options?: LogoutOptions): Promise<LogoutResult>;
  startHandoff(provider: string, options?: { readonly returnTo?: string }): Promise<HandoffStart>;
  redeemHandoff(code: string): Promise<SignInResult>;
  signInWithOfficeSso(token: string): Promise<SignInResult>;
}
