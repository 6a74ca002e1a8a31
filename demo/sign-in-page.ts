// The stand-in Entra ID's sign-in page: any user name signs in (no password), so the demo shows a real login round trip.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { accountIdFromLoginHint, type InteractionPage } from '../test/support/openid-provider.ts';

/** A sign-in form is a few dozen bytes; anything larger is not one. */
const maximumFormBytes = 4096;

/** The sign-in page, and the names of every account that signed in through it (the demo revokes them). */
export function createSignInPage(signedInAccounts: Set<string>): InteractionPage {
  return async function signInPage(request, response, signIn) {
    if (request.method === 'GET') return sendForm(response, 200, '');
    if (request.method !== 'POST') {
      response.writeHead(405, { allow: 'GET, POST' }).end();
      return;
    }
    const form = new URLSearchParams(await readBody(request));
    if (form.get('action') === 'cancel') return signIn('cancel');
    const name = (form.get('name') ?? '').trim();
    const accountId = accountIdFromLoginHint(name);
    if (name === '' || accountId === undefined || accountId === 'cancel')
      return sendForm(
        response,
        400,
        'A user name starts with a letter: letters, digits, ".", "_", "-".',
      );
    signedInAccounts.add(accountId);
    return signIn(accountId);
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > maximumFormBytes) throw new Error('the sign-in form is too large');
  }
  return text;
}

function sendForm(response: ServerResponse, status: number, problem: string): void {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in – demo Entra ID</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#f3f2f1;display:grid;place-items:center;min-height:100vh;margin:0}
form{background:#fff;padding:2rem 2.5rem;box-shadow:0 2px 6px rgba(0,0,0,.2);width:20rem}
h1{font-size:1.4rem;margin:0 0 .5rem}p{color:#555;font-size:.9rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;margin:.5rem 0 1rem}
button{padding:.5rem 1.2rem;font-size:1rem;margin-right:.5rem}.problem{color:#a4262c}
</style></head>
<body><form method="post">
<h1>Sign in</h1>
<p>Demo identity provider standing in for Microsoft Entra ID. Any user name works; there is no password.</p>
${problem === '' ? '' : `<p class="problem">${problem}</p>`}
<label for="name">User name</label>
<input id="name" name="name" value="alice" autocomplete="username" autofocus required>
<button type="submit" name="action" value="sign-in">Sign in</button>
<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</form></body></html>`;
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // No form-action: the sign-in ends in redirects to the gateway's origin, which it would block.
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  });
  response.end(html);
}
