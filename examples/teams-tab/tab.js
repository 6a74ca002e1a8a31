// Teams tab: sign in through Teams' authentication window (its own cookies) and join the tab's session by a handoff code.
// Not runnable without Teams. The tab page loads TeamsJS v2 (the @microsoft/teams-js package, which
// defines `microsoftTeams`) and this module, served through the gateway; the gateway's origin is
// in the app manifest's validDomains.
import { createClient, ReauthRequiredError } from '/auth/client.js';

const client = createClient();
await microsoftTeams.app.initialize();

/** Resolves with the profile, or null when the user must press the sign-in button first. */
export async function loadProfile() {
  try {
    return await (await client.graph('/v1.0/me')).json();
  } catch (error) {
    if (error instanceof ReauthRequiredError) return null;
    throw error;
  }
}

/**
 * Call from the sign-in button's click handler: Teams opens its window only on a user gesture.
 * startHandoff sets the handoff cookie in the TAB's context; the window signs in and returns the
 * code through notifySuccess; only this context can redeem it.
 */
export async function signIn() {
  // One quick same-origin request: the click's user activation still covers authenticate().
  const { loginUrl } = await client.startHandoff('graph', { returnTo: '/auth-end.html' });
  const code = await microsoftTeams.authentication.authenticate({
    url: loginUrl,
    width: 600,
    height: 535,
  });
  await client.redeemHandoff(code);
}
