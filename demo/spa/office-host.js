// The Office-dialog host page: start a handoff here, sign in in a window with its own cookies, redeem the code it shows here.
import { createClient, HandoffRefusedError, ReauthRequiredError } from '/auth/client.js';
import { describeUser, show } from './output.js';

const client = createClient();
const loginLink = document.getElementById('login-url');
const codeInput = document.getElementById('handoff-code');

async function refreshSession() {
  document.getElementById('user').textContent = describeUser(await client.session());
}

/** Step 1: the gateway sets the handoff cookie in THIS context; only this context can redeem. */
async function startHandoff() {
  const { loginUrl } = await client.startHandoff('graph', { returnTo: '/handoff-complete.html' });
  // A real add-in: Office.context.ui.displayDialogAsync(loginUrl, { height: 60, width: 30 }, …)
  loginLink.href = loginUrl;
  loginLink.textContent = loginUrl;
  show('POST /auth/handoff → 200', {
    login_url: loginUrl,
    next: 'open the login URL in a private window, sign in, and paste the code below',
  });
}

/** Step 3: the code the dialog passed back (messageParent in a real host) joins this session. */
async function redeem() {
  try {
    const result = await client.redeemHandoff(codeInput.value.trim());
    await refreshSession();
    show('POST /auth/handoff/redeem → 200', result);
  } catch (error) {
    // Refused: malformed, unknown, expired (60 s), already used, or not started in this window.
    if (error instanceof HandoffRefusedError) return show('Code refused', error.message);
    throw error;
  }
  try {
    const response = await client.graph('/v1.0/me');
    show(`Signed in; GET /graph/v1.0/me → ${response.status}`, await response.json());
  } catch (error) {
    if (error instanceof ReauthRequiredError) return show('Sign-in required', error.message);
    throw error;
  }
}

function report(error) {
  show('The page failed', String(error));
}

document.getElementById('start-handoff').addEventListener('click', () => {
  startHandoff().catch(report);
});
document.getElementById('redeem-form').addEventListener('submit', (event) => {
  event.preventDefault();
  redeem().catch(report);
});
refreshSession().catch(report);
