// Configuration: every variable of contract §2 parsed once, every problem named at once, no secret printed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';

const secret = 'a-session-secret-of-at-least-32-characters';
const graphSecret = 'graph-client-secret-value-never-printed';

const minimal = {
  PUBLIC_URL: 'https://app.example.com',
  SESSION_SECRET: secret,
  GRAPH_CLIENT_ID: 'client-id',
  GRAPH_CLIENT_SECRET: graphSecret,
  GRAPH_TENANT_ID: '11111111-2222-3333-4444-555555555555',
};

function problemsOf(environment: Record<string, string>): string[] {
  try {
    loadConfig(environment);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the contract defaults to a minimal Entra configuration', () => {
    const config = loadConfig(minimal);
    expect(config.port).toBe(8080);
    expect(config.host).toBe('0.0.0.0');
    expect(config.publicOrigin).toBe('https://app.example.com');
    expect(config.secureCookies).toBe(true);
    expect(config.redisKeyPrefix).toBe('bff:');
    expect(config.sessionIdleTimeoutSeconds).toBe(28_800);
    expect(config.sessionAbsoluteTimeoutSeconds).toBe(86_400);
    expect(config.tokenRefreshSkewSeconds).toBe(60);
    expect(config.providerTimeoutMs).toBe(10_000);
    expect(config.upstreamTimeoutMs).toBe(60_000);
    expect(config.allowInsecureHttp).toBe(false);
    expect(config.logLevel).toBe('info');
    expect(config.redisUrl).toBeNull();
    const graph = config.providers.get('graph');
    expect(graph?.scopes).toEqual(['openid', 'profile', 'email', 'offline_access', 'User.Read']);
    expect(graph?.apiUrl.href).toBe('https://graph.microsoft.com/');
    expect(graph?.authorizationServer).toMatchObject({ kind: 'discovery', allowedTenants: null });
    expect(graph?.authorizationServer.issuer.href).toBe(
      'https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0',
    );
    expect(config.providers.has('servicenow')).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('derives the four ServiceNow URLs from the instance', () => {
    const config = loadConfig({
      ...minimal,
      SERVICENOW_CLIENT_ID: 'sn-client',
      SERVICENOW_CLIENT_SECRET: 'sn-secret',
      SERVICENOW_INSTANCE_URL: 'https://acme.service-now.com/',
    });
    const serviceNow = config.providers.get('servicenow');
    expect(serviceNow?.openId).toBe(false);
    expect(serviceNow?.scopes).toEqual(['useraccount']);
    expect(serviceNow?.apiUrl.href).toBe('https://acme.service-now.com/');
    expect(serviceNow?.authorizationServer).toMatchObject({ kind: 'explicit' });
    const source = serviceNow?.authorizationServer;
    if (source?.kind !== 'explicit') throw new Error('expected explicit endpoints');
    expect(source.authorizationEndpoint.href).toBe('https://acme.service-now.com/oauth_auth.do');
    expect(source.tokenEndpoint.href).toBe('https://acme.service-now.com/oauth_token.do');
    expect(source.revocationEndpoint?.href).toBe(
      'https://acme.service-now.com/oauth_revoke_token.do',
    );
  });

  it('names every problem in one error, each with its variable', () => {
    const problems = problemsOf({
      PUBLIC_URL: 'not a url',
      SESSION_SECRET: 'short',
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'http://redis',
      GRAPH_ROUTES: 'GET',
    });
    const text = problems.join('\n');
    for (const variable of ['PUBLIC_URL', 'SESSION_SECRET', 'PORT', 'LOG_LEVEL', 'REDIS_URL']) {
      expect(text).toContain(variable);
    }
    expect(problems.length).toBeGreaterThanOrEqual(5);
  });

  it('reports cross-variable problems alongside malformed values, in the same message', () => {
    const problems = problemsOf({
      PUBLIC_URL: 'https://app.example.com',
      SESSION_SECRET: 'short',
      GRAPH_CLIENT_ID: 'client-id',
      GRAPH_TENANT_ID: 'organizations',
    }).join('\n');
    expect(problems).toContain('SESSION_SECRET');
    expect(problems).toContain('GRAPH_CLIENT_SECRET is required');
    expect(problems).toContain('GRAPH_ALLOWED_TENANTS is required');
  });

  it('reports every provider variable set without its client id', () => {
    const problems = problemsOf({
      ...minimal,
      GRAPH_CLIENT_ID: '',
      SERVICENOW_ROUTES: 'GET /api/**',
      SERVICENOW_API_URL: 'https://acme.service-now.com',
    }).join('\n');
    for (const variable of [
      'GRAPH_CLIENT_SECRET',
      'GRAPH_TENANT_ID',
      'SERVICENOW_ROUTES',
      'SERVICENOW_API_URL',
    ]) {
      expect(problems).toContain(`${variable} is set but`);
    }
  });

  it('reports missing required variables as required', () => {
    const problems = problemsOf({});
    expect(problems).toContain('PUBLIC_URL is required');
    expect(problems).toContain('SESSION_SECRET is required');
  });

  it('never prints the value of a secret, even a malformed one', () => {
    const leakedSecret = 'hunter2-short';
    const error = (() => {
      try {
        loadConfig({
          ...minimal,
          SESSION_SECRET: leakedSecret,
          TOKEN_ENCRYPTION_KEY: `${graphSecret},x`,
          GRAPH_ROUTES: 'BAD ROUTE LIST',
        });
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected a failure');
    })();
    expect(error.message).not.toContain(leakedSecret);
    expect(error.message).not.toContain(graphSecret);
    expect(error.message).toContain('SESSION_SECRET');
    expect(error.message).toContain('TOKEN_ENCRYPTION_KEY');
  });

  it('refuses plain http unless ALLOW_INSECURE_HTTP=true, and refuses that in production', () => {
    expect(problemsOf({ ...minimal, PUBLIC_URL: 'http://localhost:8080' }).join('\n')).toContain(
      'PUBLIC_URL must be an https:// URL',
    );
    expect(problemsOf({ ...minimal, GRAPH_API_URL: 'http://127.0.0.1:9' }).join('\n')).toContain(
      'GRAPH_API_URL',
    );
    expect(
      loadConfig({ ...minimal, PUBLIC_URL: 'http://localhost:8080', ALLOW_INSECURE_HTTP: 'true' })
        .secureCookies,
    ).toBe(false);
    const production = problemsOf({
      ...minimal,
      ALLOW_INSECURE_HTTP: 'true',
      NODE_ENV: 'production',
      REDIS_URL: 'redis://r:6379',
    });
    expect(production.join('\n')).toContain(
      'ALLOW_INSECURE_HTTP must not be "true" when NODE_ENV=production',
    );
  });

  it('requires REDIS_URL in production', () => {
    expect(problemsOf({ ...minimal, NODE_ENV: 'production' }).join('\n')).toContain(
      'REDIS_URL is required when NODE_ENV=production',
    );
  });

  it('expects the {tenantid} placeholder issuer from multi-tenant discovery', () => {
    const config = loadConfig({
      ...minimal,
      GRAPH_TENANT_ID: 'organizations',
      GRAPH_ALLOWED_TENANTS: '11111111-2222-3333-4444-555555555555',
    });
    expect(config.providers.get('graph')?.authorizationServer).toMatchObject({
      discoveredIssuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
    });
    const problems = problemsOf({
      ...minimal,
      GRAPH_TENANT_ID: 'common',
      GRAPH_ALLOWED_TENANTS: '11111111-2222-3333-4444-555555555555',
      GRAPH_ISSUER: 'https://login.example.com/v2.0',
    }).join('\n');
    expect(problems).toContain('GRAPH_ISSUER must contain the "/common/" path segment');
  });

  it('refuses a domain name as the tenant (Entra would publish the GUID issuer for it)', () => {
    expect(
      problemsOf({ ...minimal, GRAPH_TENANT_ID: 'contoso.onmicrosoft.com' }).join('\n'),
    ).toContain('GRAPH_TENANT_ID must be a tenant GUID');
  });

  it('requires an allow-list of tenants for a multi-tenant Entra app', () => {
    expect(problemsOf({ ...minimal, GRAPH_TENANT_ID: 'organizations' }).join('\n')).toContain(
      'GRAPH_ALLOWED_TENANTS is required',
    );
    const config = loadConfig({
      ...minimal,
      GRAPH_TENANT_ID: 'organizations',
      GRAPH_ALLOWED_TENANTS:
        '11111111-2222-3333-4444-555555555555, AAAAAAAA-2222-3333-4444-555555555555',
    });
    expect(config.providers.get('graph')?.authorizationServer).toMatchObject({
      allowedTenants: [
        '11111111-2222-3333-4444-555555555555',
        'aaaaaaaa-2222-3333-4444-555555555555',
      ],
    });
  });

  it('declares client capabilities only when GRAPH_CLIENT_CAPABILITIES names them', () => {
    expect(loadConfig(minimal).providers.get('graph')?.clientCapabilities).toEqual([]);
    const declared = loadConfig({ ...minimal, GRAPH_CLIENT_CAPABILITIES: ' cp1 , cp2 ' });
    expect(declared.providers.get('graph')?.clientCapabilities).toEqual(['cp1', 'cp2']);
    expect(problemsOf({ ...minimal, GRAPH_CLIENT_CAPABILITIES: 'cp1,"x"}' })).toEqual([
      expect.stringMatching(/^GRAPH_CLIENT_CAPABILITIES .*capability/),
    ]);
  });

  it('requires at least one provider, and a secret for each enabled one', () => {
    expect(
      problemsOf({ PUBLIC_URL: 'https://a.example', SESSION_SECRET: secret }).join('\n'),
    ).toContain('no provider is enabled');
    expect(problemsOf({ ...minimal, GRAPH_CLIENT_SECRET: '' }).join('\n')).toContain(
      'GRAPH_CLIENT_SECRET is required',
    );
    expect(
      problemsOf({ ...minimal, SERVICENOW_CLIENT_ID: 'x', SERVICENOW_CLIENT_SECRET: 'y' }).join(
        '\n',
      ),
    ).toContain('SERVICENOW_AUTHORIZATION_URL is required');
  });

  it('refuses a PUBLIC_URL with a path, and exclusive or clashing settings', () => {
    const problems = problemsOf({
      ...minimal,
      PUBLIC_URL: 'https://app.example.com/app',
      APP_UPSTREAM_URL: 'https://spa.internal',
      STATIC_DIR: '/definitely/not/here',
      METRICS_PORT: '8080',
      SESSION_IDLE_TIMEOUT_S: '90000',
    }).join('\n');
    expect(problems).toContain('PUBLIC_URL must be an origin only');
    expect(problems).toContain('APP_UPSTREAM_URL and STATIC_DIR are exclusive');
    expect(problems).toContain('STATIC_DIR must name an existing directory');
    expect(problems).toContain('METRICS_PORT must differ from PORT');
    expect(problems).toContain('SESSION_IDLE_TIMEOUT_S must not exceed SESSION_ABSOLUTE_TIMEOUT_S');
  });

  it('accepts a key list for rotation and treats empty variables as unset', () => {
    const config = loadConfig({
      ...minimal,
      SESSION_SECRET: `${secret}-new, ${secret}`,
      TOKEN_ENCRYPTION_KEY: '',
      REDIS_URL: '',
    });
    expect(config.sessionSecrets).toEqual([`${secret}-new`, secret]);
    expect(config.tokenEncryptionKeys).toEqual([]);
    expect(config.redisUrl).toBeNull();
  });

  it('turns METRICS_PORT on only when set, and refuses it on the main port (explicit or default)', () => {
    expect(loadConfig(minimal).metricsPort).toBeNull();
    expect(loadConfig({ ...minimal, PORT: '8080', METRICS_PORT: '9464' }).metricsPort).toBe(9464);
    expect(problemsOf({ ...minimal, PORT: '9464', METRICS_PORT: '9464' })).toEqual([
      'METRICS_PORT must differ from PORT',
    ]);
    expect(problemsOf({ ...minimal, METRICS_PORT: '8080' })).toEqual([
      'METRICS_PORT must differ from PORT',
    ]);
  });

  describe('the SPA settings (STATIC_DIR, APP_UPSTREAM_URL)', () => {
    const builtApp = mkdtempSync(join(tmpdir(), 'bff-config-spa-'));
    writeFileSync(join(builtApp, 'index.html'), '<!doctype html>');
    const withoutIndex = mkdtempSync(join(tmpdir(), 'bff-config-empty-'));

    it('accepts a folder holding index.html, and an http app server (a sidecar)', () => {
      expect(loadConfig({ ...minimal, STATIC_DIR: builtApp }).staticDir).toBe(builtApp);
      const sidecar = loadConfig({ ...minimal, APP_UPSTREAM_URL: 'http://127.0.0.1:5173' });
      expect(sidecar.appUpstreamUrl?.href).toBe('http://127.0.0.1:5173/');
      expect(sidecar.staticDir).toBeNull();
    });

    it('refuses both at once, naming both, even when each is valid', () => {
      const problems = problemsOf({
        ...minimal,
        STATIC_DIR: builtApp,
        APP_UPSTREAM_URL: 'http://127.0.0.1:5173',
      });
      expect(problems).toEqual(['APP_UPSTREAM_URL and STATIC_DIR are exclusive: set one of them']);
    });

    it.each([
      ['a missing folder', () => join(builtApp, 'missing'), 'must name an existing directory'],
      ['a file', () => join(builtApp, 'index.html'), 'must name an existing directory'],
      ['a folder without index.html', () => withoutIndex, 'must hold an index.html'],
    ])('refuses a STATIC_DIR that is %s', (_kind, directory, expected) => {
      expect(problemsOf({ ...minimal, STATIC_DIR: directory() }).join('\n')).toContain(
        `STATIC_DIR ${expected}`,
      );
    });

    it.each([
      'http://127.0.0.1:5173/?spa=1',
      'http://127.0.0.1:5173/#app',
      'http://user:pass@127.0.0.1:5173/',
      'http://user@127.0.0.1:5173/',
      'ftp://127.0.0.1/',
    ])('refuses the APP_UPSTREAM_URL %s', (url) => {
      expect(problemsOf({ ...minimal, APP_UPSTREAM_URL: url }).join('\n')).toMatch(
        /^APP_UPSTREAM_URL must/m,
      );
    });
  });
});
