// The sidecar mode's forwarder (APP_UPSTREAM_URL), configured once from GatewayConfig: which cookies are the gateway's, what the app is told.
import type { GatewayConfig } from '../config/types.ts';
import type { Logger } from '../observability/logger.ts';
import { createAppForwarder, type AppForwarder } from '../proxy/app-forwarder.ts';
import { strictTransportSecurity } from './security-headers.ts';

/**
 * The gateway's cookies, in both spellings: `__Host-…` when PUBLIC_URL is https, plain otherwise
 * (session-cookie.ts, login-cookie.ts, handoff-cookie.ts). Both are matched whatever the current scheme, so a cookie
 * left from another configuration never reaches the app either. Every new gateway cookie must be
 * added here: the app must neither read one nor set one.
 */
const gatewayCookieNames: readonly string[] = [
  'bff-session',
  '__host-bff-session',
  // handoff-cookie.ts: the app context's pending handoff sign-in (contract §6).
  'bff-handoff',
  '__host-bff-handoff',
];
/** Pending-login cookies are named `bff-login-<16 characters of the state's hash>`. */
const gatewayCookiePrefixes: readonly string[] = ['bff-login-', '__host-bff-login-'];

/**
 * Case-insensitive: browsers match the `__Host-` prefix without regard to case (RFC 6265bis
 * §4.1.3), and an app has no business with any spelling of these names.
 */
export function isGatewayCookieName(name: string): boolean {
  const lowerName = name.toLowerCase();
  return (
    gatewayCookieNames.includes(lowerName) ||
    gatewayCookiePrefixes.some((prefix) => lowerName.startsWith(prefix))
  );
}

/** Null when APP_UPSTREAM_URL is unset; built once by the composition root, closed with the gateway. */
export function createAppForwarderFor(config: GatewayConfig, logger: Logger): AppForwarder | null {
  if (config.appUpstreamUrl === null) return null;
  return createAppForwarder({
    appUrl: config.appUpstreamUrl,
    publicUrl: new URL(config.publicOrigin),
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    isGatewayCookie: isGatewayCookieName,
    // The app's pages are where a browser first meets the origin: they carry HSTS like the
    // gateway's own answers, unless the app server sends a policy of its own.
    responseHeadersWhenAbsent: config.secureCookies
      ? { [strictTransportSecurity.name]: strictTransportSecurity.value }
      : {},
    logger,
  });
}
