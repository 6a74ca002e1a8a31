// A minimal SPA on bff-gateway's client module: call Graph, sign in with a popup when the gateway asks for it, retry.
// Served by the gateway's origin, so '/auth/client.js' and '/graph/...' are same-origin: no token,
// no CORS, no MSAL. Run it against the demo: DEMO_APP_DIR=examples/spa npm run demo
import { createClient, ProviderUnavailableError, ReauthRequiredError } from '/auth/client.js';

const client = createClient();
const status = document.getElementById('status');
const profile = document.getElementById('profile');
const signInButton = document.getElementById('sign-in');

/** The last ReauthRequiredError: its loginUrl may carry a claims challenge the sign-in must meet. */
let pendingReauth = null;

async function loadProfile() {
  try {
    // GET /graph/v1.0/me through the gateway, which adds the bearer (and X-CSRF: 1 is added here).
    const response = await client.graph('/v1.0/me');
    if (!response.ok) throw new Error(`Graph answered ${response.status}`);
    const me = await response.json();
    pendingReauth = null;
    signInButton.hidden = true;
    status.textContent = `Hello, ${me.displayName}.`;
    profile.textContent = JSON.stringify(me, null, 2);
  } catch (error) {
    if (error instanceof ReauthRequiredError) {
      // 401 from the gateway: not signed in, session expired, grant revoked… `reason` says which.
      pendingReauth = error;
      signInButton.hidden = false;
      status.textContent =
        error.reason === 'no_session'
          ? 'Sign in to see your profile.'
          : `Please sign in again (${error.reason}).`;
      profile.textContent = '';
    } else if (error instanceof ProviderUnavailableError) {
      // 503: Microsoft cannot be reached right now. The session is kept: do NOT sign in again.
      const wait = error.retryAfter === null ? 'in a moment' : `in ${error.retryAfter} s`;
      status.textContent = `Microsoft is unavailable right now. Try again ${wait}.`;
    } else {
      status.textContent = `Something went wrong: ${error.message}`;
    }
  }
}

signInButton.addEventListener('click', async () => {
  try {
    // Called straight from the click handler: browsers only open popups on a user gesture.
    await client.login('graph', { mode: 'popup', loginUrl: pendingReauth?.loginUrl });
    await loadProfile(); // the retry
  } catch (error) {
    // PopupBlockedError, LoginCancelledError (popup closed), LoginFailedError (e.g. access_denied).
    status.textContent = `Sign-in did not complete: ${error.message}`;
  }
});
document.getElementById('reload').addEventListener('click', () => void loadProfile());

void loadProfile();
