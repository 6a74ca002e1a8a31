// Entra multi-tenant: the On-Behalf-Of grant goes to the SSO token's own tenant's token endpoint, never /organizations or /common.
import { describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../src/config/types.ts';
import { tokenEndpointOfTenant } from '../../src/flows/on-behalf-of.ts';

const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const metadata = {
  issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
  token_endpoint: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token',
};

/** Only what tokenEndpointOfTenant reads: the authorization server source. */
function providerWith(allowedTenants: string[] | null): ProviderConfig {
  return {
    authorizationServer: {
      kind: 'discovery',
      issuer: new URL('https://login.microsoftonline.com/organizations/v2.0'),
      allowedTenants,
      discoveredIssuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
    },
  } as ProviderConfig;
}

describe('tokenEndpointOfTenant', () => {
  it('puts the token tenant in place of the multi-tenant authority segment', () => {
    expect(tokenEndpointOfTenant(providerWith([tenant]), metadata, tenant).token_endpoint).toBe(
      `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`,
    );
    const common = {
      ...metadata,
      token_endpoint: metadata.token_endpoint.replace('organizations', 'Common'),
    };
    expect(tokenEndpointOfTenant(providerWith([tenant]), common, tenant).token_endpoint).toContain(
      `/${tenant}/oauth2/`,
    );
  });

  it('leaves a single-tenant endpoint, and a tenant that is not a GUID, alone', () => {
    expect(tokenEndpointOfTenant(providerWith(null), metadata, tenant)).toBe(metadata);
    expect(tokenEndpointOfTenant(providerWith([tenant]), metadata, '../evil')).toBe(metadata);
    expect(tokenEndpointOfTenant(providerWith([tenant]), metadata, null)).toBe(metadata);
  });
});
