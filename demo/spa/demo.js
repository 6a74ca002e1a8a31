// The demo SPA on the gateway's client module (/auth/client.js): plain DOM code, no token ever in the page.
import {
  createClient,
  LoginCancelledError,
  LoginFailedError,
  PopupBlockedError,
  ProviderUnavailableError,
  ReauthRequiredError,
} from '/auth/client.js';
import { describeUser, show } from './output.js';

const actionLink = document.getElementById('action-link');
const autoSignIn = document.getElementById('auto-sign-in');

/**
 * `throw` (the default) hands the reauth case to the page, which shows it with a sign-in button;
 * `popup` lets the module sign in again in a popup and retry the call once (the checkbox).
 */
let client = createClient();
autoSignIn.addEventListener('change', () => {
  client = createClient({ onReauth: autoSignIn.checked ? 'popup' : 'throw' });
});

/** Why the gateway wants a new sign-in, by the reauth payload's `reason` (contract §4). */
const reasons = {
  no_session: 'there is no session: sign in first',
  session_expired: 'the session expired',
  not_connected: 'this session has not connected that provider yet',
  refresh_failed: 'the identity provider refused to renew the access token',
  upstream_rejected: 'the API refused even a freshly renewed token',
  claims_challenge: 'the API asks for a new sign-in meeting further conditions (claims challenge)',
};

/**
 * One call through the gateway: `present` shows its answer (whatever the status: an upstream's own
 * 403 or 404 is an answer too), or the page shows the reauth / "try again later" state it met.
 */
async function call(label, send, present = showBody) {
  try {
    await present(label, await send(client));
  } catch (error) {
    if (error instanceof ReauthRequiredError)
      return offerSignIn(label, () => call(label, send, present), error);
    if (error instanceof ProviderUnavailableError)
      return offerRetry(label, () => call(label, send, present), error);
    throw error;
  }
}

async function showBody(label, response) {
  const type = response.headers.get('content-type') ?? '';
  const body = type.includes('json') ? await response.json() : await response.text();
  show(`${label} → ${response.status}`, body);
}

/** The reauth case: which provider, why, and a button that signs in (popup) and retries the call. */
async function offerSignIn(label, retry, reauth) {
  const { provider, reason, providerError, loginUrl } = reauth;
  show(`${label} → 401`, { error: reauth.name, provider, reason, providerError, loginUrl });
  const why = reasons[reason] ?? reason;
  // With onReauth: 'popup' the module already tried; `cause` says why its popup did not help.
  const popupProblem = reauth.cause instanceof Error ? ` (${reauth.cause.message})` : '';
  const button = actionButton('reauth-sign-in', `Sign in to ${provider} again`, async () => {
    // Straight from the click: browsers open popups only from a user gesture. loginUrl may carry
    // a claims challenge, which the new sign-in must satisfy.
    await client.login(provider, { mode: 'popup', loginUrl });
    await refreshSession();
    await retry();
  });
  const text = document.createElement('span');
  text.id = 'reauth-reason';
  text.textContent = `Sign-in required: ${why}${popupProblem}. `;
  actionLink.replaceChildren(text, button);
  await refreshSession();
}

/** 503 from the gateway: the provider (or the store) is unreachable; the session is kept. */
function offerRetry(label, retry, unavailable) {
  const wait = unavailable.retryAfter === null ? 'in a moment' : `in ${unavailable.retryAfter} s`;
  show(`${label} → 503 try again later`, {
    error: unavailable.name,
    type: unavailable.type,
    retryAfter: unavailable.retryAfter,
  });
  const text = document.createElement('span');
  text.textContent = `The provider cannot be reached right now; you stay signed in. Try again ${wait}. `;
  actionLink.replaceChildren(text, actionButton('retry', 'Try again', retry));
}

function actionButton(id, label, action) {
  const button = document.createElement('button');
  button.id = id;
  button.type = 'button';
  button.textContent = label;
  button.addEventListener('click', () => void action().catch(showFailure));
  return button;
}

function describeProvider(status) {
  if (status === undefined) return 'not enabled';
  if (!status.connected) return 'not connected';
  return `connected until ${new Date(status.expires_at).toLocaleTimeString()} (${status.scopes.join(' ')})`;
}

async function refreshSession() {
  const session = await client.session();
  document.getElementById('user').textContent = describeUser(session);
  for (const provider of ['graph', 'servicenow']) {
    const cell = document.getElementById(`${provider}-status`);
    const status = session.providers[provider];
    cell.textContent = describeProvider(status);
    cell.dataset.connected = String(status?.connected === true);
  }
  return session;
}

/** The popup's own outcomes get their own titles; anything else is a failure of the page. */
function showFailure(error) {
  if (error instanceof LoginCancelledError) show('Sign-in cancelled', error.message);
  else if (error instanceof PopupBlockedError) show('Popup blocked', error.message);
  else if (error instanceof LoginFailedError)
    show(`Sign-in to ${error.provider} failed`, { error: error.error });
  else show('The page failed', String(error));
}

function on(id, action) {
  document.getElementById(id).addEventListener('click', () => void action().catch(showFailure));
}

on('sign-in-graph', () => client.login('graph', { mode: 'redirect', returnTo: '/' }));
on('connect-servicenow', async () => {
  await client.login('servicenow', { mode: 'popup' });
  show('Popup sign-in to ServiceNow → connected', { provider: 'servicenow', ok: true });
  await refreshSession();
});
on('graph-me', () => call('GET /graph/v1.0/me', (api) => api.graph('/v1.0/me')));
on('graph-messages', () =>
  call('GET /graph/v1.0/me/messages', (api) => api.graph('/v1.0/me/messages')),
);
on('graph-download', () =>
  call(
    'Download',
    (api) => api.graph('/v1.0/download?bytes=1048576'),
    async (label, response) => {
      if (!response.ok) return showBody(label, response);
      const blob = await response.blob();
      // A summary instead of 1 MiB of bytes in the page, and a link to save them.
      show(
        `${label} → ${response.status}`,
        `${blob.size} bytes of ${response.headers.get('content-type')}`,
      );
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = 'graph-download.bin';
      link.textContent = 'Save the downloaded file';
      actionLink.replaceChildren(link);
    },
  ),
);
on('servicenow-incidents', () =>
  call('GET /servicenow/api/now/table/incident', (api) =>
    api.servicenow('/api/now/table/incident?sysparm_limit=5'),
  ),
);
on('revoke', async () => {
  // The demo app server's own endpoint (not the gateway's), so plain fetch.
  const response = await fetch('/demo/revoke', { method: 'POST', headers: { 'X-Demo': '1' } });
  show(
    `Revoked at the IdP → ${response.status}`,
    'Every grant is revoked. The next call is refused upstream; the gateway refreshes once, the refresh is rejected, and you get the reauth payload.',
  );
});
on('logout', async () => {
  // redirect: false only to show the answer first; then on to the IdP's end-session page, which
  // signs the browser out there too and comes back to PUBLIC_URL/.
  const { endSessionUrl } = await client.logout({ redirect: false });
  show('POST /auth/logout → 200', { end_session_url: endSessionUrl });
  await refreshSession();
  if (endSessionUrl !== null) window.location.assign(endSessionUrl);
});

// A redirect sign-in that failed comes back with bff_error / bff_provider (contract §3).
const query = new URLSearchParams(window.location.search);
if (query.has('bff_error'))
  show(`Sign-in to ${query.get('bff_provider')} failed`, { error: query.get('bff_error') });
refreshSession().catch((error) => show('GET /auth/session failed', String(error)));
