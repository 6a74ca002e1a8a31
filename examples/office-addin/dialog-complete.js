// The Office dialog's last page (the handoff's return_to, /dialog-complete.html): hands the code to the task pane.
// Its page loads Office.js and this module; not runnable without an Office host.
import { readHandoffCode } from '/auth/client.js';

const code = readHandoffCode();
// A failed sign-in comes back as ?bff_error=<code> instead (for example access_denied).
const error = new URLSearchParams(window.location.search).get('bff_error') ?? 'no_code';
// The code must not stay in the address bar or the history.
window.history.replaceState(null, '', window.location.pathname);

Office.onReady(() => {
  // The task pane's DialogMessageReceived handler receives this string (and closes the dialog).
  Office.context.ui.messageParent(JSON.stringify(code === null ? { error } : { code }));
});
