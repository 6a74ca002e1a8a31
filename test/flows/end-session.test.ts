// The end-session URL logout hands the SPA: only an https endpoint (http when allowed), client_id, the return URI, logout_hint, no token.
import type * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import type { ResolvedProvider } from '../../src/flows/authorization-servers.ts';
import { endSessionUrl } from '../../src/flows/end-session.ts';
import type { EndedSession, SessionUser } from '../../src/session/session-types.ts';

const publicOrigin = 'https://app.example.test';

/** Only what endSessionUrl reads: the discovered metadata and the client. */
function providerWith(endSessionEndpoint: string | undefined): ResolvedProvider {
  const authorizationServer: oauth.AuthorizationServer = {
    issuer: 'https://login.example.test/tenant/v2.0',
    ...(endSessionEndpoint === undefined ? {} : { end_session_endpoint: endSessionEndpoint }),
  };
  return { authorizationServer, client: { client_id: 'client-1' } } as ResolvedProvider;
}

const user: SessionUser = {
  sub: 'alice',
  name: null,
  email: null,
  loginHint: 'O.opaque-hint',
  tenantId: null,
  issuer: 'https://login.example.test/tenant/v2.0',
  providerSessionId: null,
};
const ended: EndedSession = { sessionDigest: 'digest', user, providers: new Map() };

describe('endSessionUrl', () => {
  it('names the client, returns to PUBLIC_URL and hints the account, with no token', () => {
    const url = new URL(
      endSessionUrl(providerWith('https://login.example.test/tenant/oauth2/v2.0/logout'), ended, {
        publicOrigin,
        allowInsecureHttp: false,
      }) ?? '',
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'client-1',
      post_logout_redirect_uri: `${publicOrigin}/`,
      logout_hint: 'O.opaque-hint',
    });
  });

  it('leaves logout_hint out when the ID token carried no login_hint', () => {
    const withoutHint = { ...ended, user: { ...user, loginHint: null } };
    const text = endSessionUrl(providerWith('https://idp.example.test/logout'), withoutHint, {
      publicOrigin,
      allowInsecureHttp: false,
    });
    expect(new URL(text ?? '').searchParams.has('logout_hint')).toBe(false);
  });

  it.each([
    ['no endpoint', undefined, false],
    ['a javascript: URL', 'javascript:alert(document.cookie)', true],
    ['a data: URL', 'data:text/html,<script>alert(1)</script>', true],
    ['plain http without ALLOW_INSECURE_HTTP', 'http://idp.example.test/logout', false],
    ['a value that is no URL', 'not a url', true],
  ])('is null for %s', (_name, endpoint, allowInsecureHttp) => {
    expect(
      endSessionUrl(providerWith(endpoint), ended, { publicOrigin, allowInsecureHttp }),
    ).toBeNull();
  });

  it('accepts plain http only with ALLOW_INSECURE_HTTP', () => {
    const url = endSessionUrl(providerWith('http://127.0.0.1:9/logout'), ended, {
      publicOrigin,
      allowInsecureHttp: true,
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:9\/logout\?client_id=/);
  });
});
