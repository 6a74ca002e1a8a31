// Sign-in without a login page: when to prompt, and the programmatic login, consent or cancel that answers the prompt.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { accountIdFromLoginHint } from './accounts.ts';
import { oidcProviderModule, type OidcProvider } from './oidc-provider-module.ts';

/** oidc-provider's default prompts, plus a re-login when login_hint names another account, plus select_account. */
export function createInteractionPolicy(hasSignInPage: boolean) {
  const { interactionPolicy } = oidcProviderModule;
  const policy = interactionPolicy.base();
  // oidc-provider keeps an existing session whatever login_hint says; sign in again when the
  // hint names another account (so tests can switch users, and `cancel` always reaches the step).
  policy.get('login')?.checks.push(
    new interactionPolicy.Check(
      'login_hint_names_another_account',
      'the login_hint names another account than the signed-in one',
      'login_required',
      (context) => {
        const loginHint = context.oidc?.params?.login_hint as string | undefined;
        // With a sign-in page, no hint means "whoever signed in there", not the default account.
        if (hasSignInPage && loginHint === undefined)
          return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        return context.oidc?.session?.accountId === accountIdFromLoginHint(loginHint)
          ? interactionPolicy.Check.NO_NEED_TO_PROMPT
          : interactionPolicy.Check.REQUEST_PROMPT;
      },
    ),
  );
  // Entra accepts prompt=select_account; oidc-provider refuses prompts its policy does not name.
  policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }));
  return policy;
}

/**
 * The account named by `accountName` (a sign-in page's choice) or else by login_hint signs in and
 * consents to every requested scope.
 */
export async function completeInteraction(
  provider: OidcProvider,
  request: IncomingMessage,
  response: ServerResponse,
  forgetSession: (sessionId: string) => void,
  accountName?: string,
): Promise<void> {
  const interaction = await provider.interactionDetails(request, response);
  const loginHint = accountName ?? interaction.params.login_hint;
  const accountId = accountIdFromLoginHint(loginHint);
  if (loginHint === 'cancel' || accountId === undefined) {
    const description = accountId === undefined ? 'unknown account' : 'the user cancelled';
    interaction.result = { error: 'access_denied', error_description: description };
  } else {
    const grant = new provider.Grant({ accountId, clientId: interaction.params.client_id ?? '' });
    grant.addOIDCScope(interaction.params.scope ?? 'openid');
    const grantId = await grant.save();
    // One answer resolves every prompt a request can raise (select_account included).
    interaction.result = { login: { accountId }, consent: { grantId }, select_account: {} };
    const previous = interaction.session;
    if (previous !== undefined && previous.accountId !== accountId) {
      // On an account switch oidc-provider answers a self-posting logout form, which a browser
      // without scripts cannot submit; dropping the old sign-in session here avoids that page.
      if (previous.cookie !== undefined) forgetSession(previous.cookie);
      interaction.session = undefined;
    }
  }
  // What provider.interactionFinished does, with the interaction edited above.
  await interaction.persist();
  response.writeHead(303, { location: interaction.returnTo, 'content-length': '0' }).end();
}
