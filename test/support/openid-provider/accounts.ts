// Test accounts: the account a login_hint names, and the Entra-like claims every account derives from its name.
import { createHash } from 'node:crypto';

export interface TestAccount {
  readonly accountId: string;
  readonly objectId: string;
  readonly displayName: string;
  readonly email: string;
}

/** The account a login_hint names: `alice` and `alice@contoso.example` both name `alice`. */
export function accountIdFromLoginHint(loginHint: string | undefined): string | undefined {
  const accountId = (loginHint ?? 'alice').toLowerCase().split('@')[0] ?? '';
  return /^[a-z][a-z0-9._-]{0,63}$/.test(accountId) ? accountId : undefined;
}

/** Everything about a test account derives from its name, so Graph's stand-in describes the same user. */
export function describeAccount(accountId: string, tenantId: string): TestAccount {
  const digest = createHash('sha256').update(`${tenantId}:${accountId}`).digest('hex');
  // Entra's `oid` is a GUID, stable per user and tenant.
  const objectId = digest
    .slice(0, 32)
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
  return {
    accountId,
    objectId,
    displayName: accountId.charAt(0).toUpperCase() + accountId.slice(1),
    email: `${accountId}@contoso.example`,
  };
}

/** oidc-provider's `findAccount`: any well-formed account name exists, with the claims Entra puts in an ID token. */
export function createAccountFinder(tenantId: string) {
  return (_context: unknown, sub: string) => {
    if (accountIdFromLoginHint(sub) !== sub) return undefined;
    const account = describeAccount(sub, tenantId);
    const claims = {
      sub,
      tid: tenantId,
      oid: account.objectId,
      ver: '2.0',
      // Entra's login_hint claim is opaque; it goes back as logout_hint.
      login_hint: `O.${Buffer.from(`${account.objectId}@${tenantId}`).toString('base64url')}`,
      name: account.displayName,
      preferred_username: account.email,
      email: account.email,
    };
    return { accountId: sub, claims: () => claims };
  };
}
