// The onReauth policy around sendToProvider: 'throw' passes reauth on; 'popup' signs in again once and resends once.
import { ReauthRequiredError } from './errors.ts';
import { buildLoginUrl } from './login-url.ts';
import type { PopupLogins } from './popup-login.ts';
import { isReplayable, sendToProvider, type GatewayContext } from './provider-fetch.ts';

export type ProviderFetch = (
  provider: string,
  path: string,
  init?: RequestInit,
) => Promise<Response>;

export function withReauthPolicy(
  context: GatewayContext,
  popups: PopupLogins,
  onReauth: 'throw' | 'popup',
): ProviderFetch {
  if (onReauth === 'throw')
    return (provider, path, init) => sendToProvider(context, provider, path, init);

  /** One popup per provider for every call that met reauth (PopupLogins shares it), then one resend each. */
  return async function fetchSigningInAgain(provider, path, init = {}) {
    const signInsBefore = popups.generation(provider);
    try {
      return await sendToProvider(context, provider, path, init);
    } catch (error) {
      // A streamed body is gone after the first send: the app must sign in and send it itself.
      if (!(error instanceof ReauthRequiredError) || !isReplayable(init.body)) throw error;
      // A sign-in that completed while this call was in flight already answers its reauth.
      if (popups.generation(provider) === signInsBefore) await signInAgain(context, popups, error);
      // Once: a second reauth answer is the app's to handle (thrown as is, never a loop).
      return sendToProvider(context, provider, path, init);
    }
  };
}

async function signInAgain(
  context: GatewayContext,
  popups: PopupLogins,
  reauth: ReauthRequiredError,
): Promise<void> {
  try {
    // The payload's login URL, so a claims challenge (`claims=…`) travels to the sign-in.
    const url = buildLoginUrl(context.gateway, reauth.provider, {
      mode: 'popup',
      loginUrl: reauth.loginUrl,
    });
    await popups.signIn({ provider: reauth.provider, url });
  } catch (loginError) {
    // Still a reauth for the app (show a sign-in button); `cause` says why the popup did not help.
    throw new ReauthRequiredError(reauth, { cause: loginError });
  }
}
