// The demo SPA: plain DOM code calling the gateway on its own origin; it never sees a token.

const output = document.getElementById('output');
const outputTitle = document.getElementById('output-title');
const actionLink = document.getElementById('action-link');

/** Every call to the gateway's API paths carries `X-CSRF: 1` (contract §4). */
function callGateway(method, path, init = {}) {
  return fetch(path, {
    method,
    credentials: 'same-origin',
    ...init,
    headers: { 'X-CSRF': '1', ...init.headers },
  });
}

function show(title, body) {
  outputTitle.textContent = title;
  output.textContent = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  actionLink.replaceChildren();
}

async function showResponse(label, response) {
  const type = response.headers.get('content-type') ?? '';
  const body = type.includes('json') ? await response.json() : await response.text();
  show(`${label} → ${response.status}`, body);
  if (body?.type === 'urn:bff:reauth-required') await offerSignIn(body);
  return body;
}

/** The reauth payload says which provider and where: offer exactly that sign-in. */
async function offerSignIn(reauth) {
  await refreshSession();
  const link = document.createElement('a');
  link.href = `${reauth.login_url}?return_to=${encodeURIComponent('/')}`;
  link.textContent = `Sign in to ${reauth.provider} again`;
  actionLink.replaceChildren(link);
}

function describeProvider(status) {
  if (status === undefined) return 'not enabled';
  if (!status.connected) return 'not connected';
  return `connected until ${new Date(status.expires_at).toLocaleTimeString()} (${status.scopes.join(' ')})`;
}

async function refreshSession() {
  const response = await fetch('/auth/session', { credentials: 'same-origin' });
  const session = await response.json();
  document.getElementById('user').textContent =
    session.user === null
      ? 'Not signed in.'
      : `Signed in as ${session.user.name ?? session.user.sub} (${session.user.email ?? 'no email'}).`;
  for (const provider of ['graph', 'servicenow']) {
    const cell = document.getElementById(`${provider}-status`);
    const status = session.providers[provider];
    cell.textContent = describeProvider(status);
    cell.dataset.connected = String(status?.connected === true);
  }
  return session;
}

/** A popup sign-in: resolves on the gateway's `bff:login` message from this origin only. */
function signInInPopup(provider) {
  const popup = window.open(
    `/auth/login/${provider}?mode=popup`,
    'bff-login',
    'popup,width=520,height=680',
  );
  if (popup === null) return Promise.reject(new Error('the browser blocked the popup'));
  return new Promise((resolve, reject) => {
    const closedWatch = setInterval(() => {
      if (popup.closed)
        finish(() => reject(new Error('the popup was closed before sign-in ended')));
    }, 500);
    function onMessage(event) {
      // Another window may post anything: only the gateway's own origin is believed.
      if (event.origin !== window.location.origin) return;
      if (event.data?.type !== 'bff:login' || event.data.provider !== provider) return;
      finish(() => resolve(event.data));
    }
    function finish(settle) {
      clearInterval(closedWatch);
      window.removeEventListener('message', onMessage);
      settle();
    }
    window.addEventListener('message', onMessage);
  });
}

function on(id, action) {
  document.getElementById(id).addEventListener('click', () => {
    action().catch((error) => show('The page failed', String(error)));
  });
}

on('sign-in-graph', async () => {
  window.location.assign(`/auth/login/graph?return_to=${encodeURIComponent('/')}`);
});
on('connect-servicenow', async () => {
  const result = await signInInPopup('servicenow');
  show(`Popup sign-in to ServiceNow → ${result.ok ? 'connected' : result.error}`, result);
  await refreshSession();
});
on('graph-me', async () =>
  showResponse('GET /graph/v1.0/me', await callGateway('GET', '/graph/v1.0/me')),
);
on('graph-messages', async () =>
  showResponse('GET /graph/v1.0/me/messages', await callGateway('GET', '/graph/v1.0/me/messages')),
);
on('graph-download', async () => {
  const response = await callGateway('GET', '/graph/v1.0/download?bytes=1048576');
  if (!response.ok) return void (await showResponse('Download', response));
  const blob = await response.blob();
  show(
    `Download → ${response.status}`,
    `${blob.size} bytes of ${response.headers.get('content-type')}`,
  );
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = 'graph-download.bin';
  link.textContent = 'Save the downloaded file';
  actionLink.replaceChildren(link);
});
on('servicenow-incidents', async () =>
  showResponse(
    'GET /servicenow/api/now/table/incident',
    await callGateway('GET', '/servicenow/api/now/table/incident?sysparm_limit=5'),
  ),
);
on('revoke', async () => {
  const response = await fetch('/demo/revoke', { method: 'POST', headers: { 'X-Demo': '1' } });
  show(
    `Revoked at the IdP → ${response.status}`,
    'Every grant is revoked. The next call is refused upstream; the gateway refreshes once, the refresh is rejected, and you get the reauth payload.',
  );
});
on('logout', async () => {
  const body = await showResponse('POST /auth/logout', await callGateway('POST', '/auth/logout'));
  await refreshSession();
  // Entra's end-session endpoint signs the browser out there too, then comes back to PUBLIC_URL/.
  if (typeof body.end_session_url === 'string') window.location.assign(body.end_session_url);
});

// A redirect sign-in that failed comes back with bff_error / bff_provider (contract §3).
const query = new URLSearchParams(window.location.search);
if (query.has('bff_error'))
  show(`Sign-in to ${query.get('bff_provider')} failed`, { error: query.get('bff_error') });
refreshSession().catch((error) => show('GET /auth/session failed', String(error)));
