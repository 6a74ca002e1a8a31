// Office add-in task pane: Office single sign-on first; a dialog sign-in joined by a handoff code when SSO cannot be used.
// Not runnable without an Office host. The task pane page loads Office.js
// (<script src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js"></script>) and this
// module, and is served through the gateway, so '/auth/client.js' and '/graph/...' are same-origin.
import {
  createClient,
  ProviderUnavailableError,
  ReauthRequiredError,
  SsoTokenRefusedError,
} from '/auth/client.js';

const client = createClient();

/** Signs the task pane in to Graph; the session cookie lands in the task pane's own context. */
export async function signIn() {
  try {
    // Office's SSO token for this add-in (its audience is the add-in's app registration), which
    // the gateway validates and exchanges On-Behalf-Of for Graph tokens (POST /auth/sso/graph).
    const token = await Office.auth.getAccessToken({
      allowSignInPrompt: true,
      allowConsentPrompt: true,
      forMSGraphAccess: true,
    });
    await client.signInWithOfficeSso(token);
  } catch (error) {
    // 503: Entra is unreachable; a dialog would not help. Retry later.
    if (error instanceof ProviderUnavailableError) throw error;
    // ReauthRequiredError: Entra wants an interactive step (consent, MFA, a claims challenge).
    // SsoTokenRefusedError: the gateway refused the token. An Office error (code 13000-13999):
    // SSO is not available in this host, or the user is not signed in to Office.
    if (
      !(error instanceof ReauthRequiredError) &&
      !(error instanceof SsoTokenRefusedError) &&
      !isOfficeSsoError(error)
    )
      throw error;
    await signInWithDialog();
  }
}

function isOfficeSsoError(error) {
  return typeof error?.code === 'number' && error.code >= 13000 && error.code < 14000;
}

/**
 * The dialog may not share the task pane's cookies, so it never gets a session of its own: the
 * task pane starts a handoff (handoff cookie set HERE), the dialog signs in and passes back a
 * one-time code, and the task pane redeems it (only the context holding the cookie can).
 */
async function signInWithDialog() {
  const { loginUrl } = await client.startHandoff('graph', { returnTo: '/dialog-complete.html' });
  const message = await openDialog(loginUrl);
  if (typeof message.code !== 'string') throw new Error(`sign-in failed (${message.error})`);
  await client.redeemHandoff(message.code);
}

/** Opens `url` in an Office dialog; resolves with the completion page's message. */
function openDialog(url) {
  return new Promise((resolve, reject) => {
    Office.context.ui.displayDialogAsync(url, { height: 60, width: 30 }, (result) => {
      if (result.status === Office.AsyncResultStatus.Failed) {
        reject(new Error(`the dialog did not open (Office error ${result.error.code})`));
        return;
      }
      const dialog = result.value;
      dialog.addEventHandler(Office.EventType.DialogMessageReceived, (arg) => {
        // Threat: a page of another domain in the dialog posting a code of its choosing. Hosts
        // with DialogOrigin 1.1 name the sender; only this add-in's own origin is believed.
        if (arg.origin !== undefined && arg.origin !== window.location.origin) return;
        dialog.close();
        try {
          resolve(JSON.parse(arg.message));
        } catch {
          reject(new Error('the dialog sent an unreadable message'));
        }
      });
      // For example 12006: the user closed the dialog.
      dialog.addEventHandler(Office.EventType.DialogEventReceived, (arg) => {
        reject(new Error(`the dialog closed before sign-in completed (Office error ${arg.error})`));
      });
    });
  });
}

/** A Graph call after signIn(): the gateway adds the bearer; the page never holds a token. */
export async function showMyName(element) {
  try {
    const me = await (await client.graph('/v1.0/me')).json();
    element.textContent = me.displayName;
  } catch (error) {
    // The session ended (revoked, expired): sign in again, then call again.
    if (!(error instanceof ReauthRequiredError)) throw error;
    await signIn();
    return showMyName(element);
  }
}
