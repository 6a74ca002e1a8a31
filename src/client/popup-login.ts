// Sign-in in a popup window: opens the gateway's login URL, waits for the callback page's `bff:login` message.
import { LoginCancelledError, LoginFailedError, PopupBlockedError } from './errors.ts';

/** How often the opener looks at `popup.closed` (the only sign that the user closed the window). */
const closedPollMs = 250;
/**
 * After `closed` turns true, how long a `bff:login` message may still arrive: the callback page
 * posts, then closes itself, and the two reach the opener through different paths.
 */
const closedGraceMs = 300;
const popupWidth = 500;
const popupHeight = 650;
/** Error codes from the callback page are short identifiers (`access_denied`); anything else is not shown. */
const errorCodeFormat = /^[A-Za-z0-9_.-]{1,100}$/;

export interface PopupSignIn {
  readonly provider: string;
  readonly url: URL;
}

/**
 * One pending popup per provider (a second `signIn` joins the first), and a count of successful
 * sign-ins per provider, so a request sent before the last sign-in knows it may simply retry.
 */
export class PopupLogins {
  readonly #gatewayOrigin: string;
  readonly #pending = new Map<string, { popup: Window; done: Promise<void> }>();
  readonly #generations = new Map<string, number>();

  constructor(gatewayOrigin: string) {
    this.#gatewayOrigin = gatewayOrigin;
  }

  generation(provider: string): number {
    return this.#generations.get(provider) ?? 0;
  }

  /** Resolves once the popup reports `ok: true`; rejects with PopupBlocked/LoginCancelled/LoginFailed. */
  signIn({ provider, url }: PopupSignIn): Promise<void> {
    const pending = this.#pending.get(provider);
    if (pending !== undefined) {
      pending.popup.focus();
      return pending.done;
    }
    // Never `noopener`: the callback page needs `window.opener` to post its result.
    const popup = window.open(url.href, `bff-login-${provider}`, popupFeatures());
    if (popup === null) return Promise.reject(new PopupBlockedError(provider));
    const done = waitForResult(popup, provider, this.#gatewayOrigin).then(() => {
      this.#generations.set(provider, this.generation(provider) + 1);
    });
    const forget = () => void this.#pending.delete(provider);
    done.then(forget, forget);
    this.#pending.set(provider, { popup, done });
    return done;
  }
}

/** Centred over the app's window; `popup` asks for a minimal window rather than a tab. */
function popupFeatures(): string {
  const left = Math.max(0, (window.screenX || 0) + ((window.outerWidth || 0) - popupWidth) / 2);
  const top = Math.max(0, (window.screenY || 0) + ((window.outerHeight || 0) - popupHeight) / 2);
  const position = `left=${Math.round(left)},top=${Math.round(top)}`;
  return `popup,width=${popupWidth},height=${popupHeight},${position}`;
}

function waitForResult(popup: Window, provider: string, gatewayOrigin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let graceTimer: number | undefined;
    const closedWatch = window.setInterval(() => {
      if (!popup.closed || graceTimer !== undefined) return;
      graceTimer = window.setTimeout(
        () => finish(() => reject(new LoginCancelledError(provider))),
        closedGraceMs,
      );
    }, closedPollMs);
    function onMessage(event: MessageEvent) {
      // Threat: any window may post a forged `bff:login`. Believed only from the gateway's origin
      // (HTML §9.3.3: `origin` is set by the browser) AND from the very popup this call opened.
      if (event.origin !== gatewayOrigin || event.source !== popup) return;
      const result = readLoginMessage(event.data, provider);
      if (result === null) return;
      finish(() => (result.ok ? resolve() : reject(new LoginFailedError(provider, result.error))));
    }
    function finish(settle: () => void) {
      window.clearInterval(closedWatch);
      window.clearTimeout(graceTimer);
      window.removeEventListener('message', onMessage);
      if (!popup.closed) popup.close();
      settle();
    }
    window.addEventListener('message', onMessage);
  });
}

type LoginMessage = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** `{ type: 'bff:login', provider, ok, error? }` from src/gateway/popup-page.ts, else null (ignored). */
export function readLoginMessage(data: unknown, provider: string): LoginMessage | null {
  if (typeof data !== 'object' || data === null) return null;
  const message = data as Record<string, unknown>;
  if (message.type !== 'bff:login' || message.provider !== provider) return null;
  if (message.ok === true) return { ok: true };
  if (message.ok !== false) return null;
  const error =
    typeof message.error === 'string' && errorCodeFormat.test(message.error)
      ? message.error
      : 'unknown_error';
  return { ok: false, error };
}
