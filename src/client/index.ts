// The client module's public surface (served at /auth/client.js, exported as `bff-gateway/client`).
export { createClient } from './create-client.ts';
export {
  BffError,
  HandoffRefusedError,
  LoginCancelledError,
  LoginFailedError,
  PopupBlockedError,
  ProviderUnavailableError,
  ReauthRequiredError,
  SsoTokenRefusedError,
  UnexpectedResponseError,
  type ReauthDetails,
  type ReauthReason,
} from './errors.ts';
export { readHandoffCode } from './handoff.ts';
export type { FetchFunction } from './provider-fetch.ts';
export type {
  BffClient,
  ClientOptions,
  HandoffStart,
  LoginOptions,
  LoginResult,
  LogoutOptions,
  LogoutResult,
  ProviderStatus,
  SessionInfo,
  SessionUser,
  SignInResult,
} from './types.ts';
