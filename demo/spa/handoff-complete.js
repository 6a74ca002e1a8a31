// The sign-in window's last page (return_to of a handoff): passes the code to the host, or shows it for the demo's copy-and-paste.
import { readHandoffCode } from '/auth/client.js';

const status = document.getElementById('handoff-status');
const code = readHandoffCode();
// A failed sign-in comes back as ?bff_error=<code>&bff_provider=<provider> (contract §3); the
// query is anyone's to write, so only a short error code is believed.
const error = new URLSearchParams(window.location.search).get('bff_error') ?? '';
const failure = /^[A-Za-z0-9_.-]{1,100}$/.test(error) ? error : null;
// The code must not stay in the address bar or the history, where a later visitor could read it.
window.history.replaceState(null, '', window.location.pathname);

if (globalThis.Office !== undefined) {
  // An Office dialog: the task pane receives this in its DialogMessageReceived handler.
  globalThis.Office.onReady(() => {
    globalThis.Office.context.ui.messageParent(
      JSON.stringify(code === null ? { error: failure ?? 'no_code' } : { code }),
    );
  });
} else if (globalThis.microsoftTeams !== undefined) {
  // A Teams authentication window: authenticate() resolves with the code (or rejects).
  const teams = globalThis.microsoftTeams;
  teams.app.initialize().then(() => {
    if (code === null) teams.authentication.notifyFailure(failure ?? 'no_code');
    else teams.authentication.notifySuccess(code);
  });
} else if (code === null) {
  status.textContent = `Sign-in did not complete (${failure ?? 'no handoff code in this page'}).`;
} else {
  status.textContent = 'Sign-in succeeded. The one-time code for the task pane:';
  document.getElementById('handoff-code').textContent = code;
  document.getElementById('handoff-manual').hidden = false;
  document.getElementById('copy-code').addEventListener('click', () => {
    navigator.clipboard.writeText(code).then(
      () => void (status.textContent = 'Copied. Paste it into the task pane.'),
      () => void (status.textContent = 'Copying failed: select the code and copy it.'),
    );
  });
}
