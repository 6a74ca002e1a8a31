// The page that ends a popup login: tells the opener how the login went, then closes itself.
import { randomBytes } from 'node:crypto';

export interface PopupResult {
  readonly provider: string;
  readonly ok: boolean;
  readonly error?: string;
}

/**
 * The message is posted only to PUBLIC_URL's origin, so no other window can read it (HTML
 * §9.3.3 postMessage targetOrigin). It carries no token. The script runs under a per-response
 * nonce with everything else denied by the CSP.
 */
export function renderPopupPage(
  result: PopupResult,
  publicOrigin: string,
): { html: string; contentSecurityPolicy: string } {
  const nonce = randomBytes(16).toString('base64');
  const message = {
    type: 'bff:login',
    provider: result.provider,
    ok: result.ok,
    ...(result.ok ? {} : { error: result.error }),
  };
  // JSON inside <script>: escape `<` so no value can close the element.
  const data = JSON.stringify({ message, origin: publicOrigin }).replace(/</g, '\\u003c');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Signing in…</title></head>
<body><p>${result.ok ? 'Signed in.' : 'Sign-in did not complete.'} You can close this window.</p>
<script nonce="${nonce}">
(function () {
  var data = ${data};
  if (window.opener) { window.opener.postMessage(data.message, data.origin); }
  window.close();
})();
</script></body></html>`;
  const contentSecurityPolicy = `default-src 'none'; script-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  return { html, contentSecurityPolicy };
}
