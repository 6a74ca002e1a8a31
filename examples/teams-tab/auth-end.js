// The Teams authentication window's last page (the handoff's return_to, /auth-end.html): hands the code to the tab.
// Its page loads TeamsJS v2 and this module; not runnable without Teams.
import { readHandoffCode } from '/auth/client.js';

const code = readHandoffCode();
// A failed sign-in comes back as ?bff_error=<code> instead (for example access_denied).
const error = new URLSearchParams(window.location.search).get('bff_error') ?? 'no_code';
// The code must not stay in the address bar or the history.
window.history.replaceState(null, '', window.location.pathname);

await microsoftTeams.app.initialize();
// authenticate() in the tab resolves with the code, or rejects with the error; the window closes.
if (code === null) microsoftTeams.authentication.notifyFailure(error);
else microsoftTeams.authentication.notifySuccess(code);
