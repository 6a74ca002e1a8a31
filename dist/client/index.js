// The client module's public surface (served at /auth/client.js, exported as `bff-gateway/client`).
export { createClient } from "./create-client.js";
export { BffError, HandoffRefusedError, LoginCancelledError, LoginFailedError, PopupBlockedError, ProviderUnavailableError, ReauthRequiredError, SsoTokenRefusedError, UnexpectedResponseError, } from "./errors.js";
export { readHandoffCode } from "./handoff.js";
