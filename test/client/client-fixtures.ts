// The environment the client module meets in a page, for its unit tests: a scripted fetch answering real Responses and a fake popup window.
import { vi } from 'vitest';

export interface RecordedCall {
  readonly url: string;
  readonly init: RequestInit;
  readonly headers: Headers;
}

/** A fetch that answers from `answer` (called with each request) and records every call. */
export function scriptedFetch(
  answer: (call: RecordedCall, index: number) => Response | Promise<Response>,
) {
  const calls: RecordedCall[] = [];
  const fetch = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const call = { url, init, headers: new Headers(init.headers) };
    calls.push(call);
    // An answer never arrives in the same tick as the request, as in a browser.
    await new Promise((resolve) => setTimeout(resolve, 1));
    return answer(call, calls.length - 1);
  };
  return { fetch, calls };
}

export function problem(
  status: number,
  members: Record<string, unknown>,
  headers: Record<string, string> = {},
): Response {
  return new Response(streamOf(JSON.stringify({ status, title: 't', detail: 'd', ...members })), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
}

/**
 * A body readable once, as a browser's network body is (happy-dom keeps a string body around, so
 * a client that consumed the app's Response instead of a clone would go unnoticed).
 */
export function streamOf(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
}

export function reauth(members: Record<string, unknown> = {}): Response {
  return problem(401, {
    type: 'urn:bff:reauth-required',
    provider: 'graph',
    reason: 'refresh_failed',
    provider_error: 'invalid_grant',
    login_url: '/auth/login/graph',
    ...members,
  });
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/** What `window.open` returned: enough of a Window for the opener's side of a popup sign-in. */
export interface FakePopup {
  closed: boolean;
  readonly url: string;
  readonly name: string;
  readonly features: string;
  close(): void;
  focus(): void;
}

/** Replaces `window.open`; each call yields a fake popup (or null: a blocked popup). */
export function fakeWindowOpen(options: { blocked?: boolean } = {}) {
  const popups: FakePopup[] = [];
  const open = vi
    .spyOn(window, 'open')
    .mockImplementation((url?: string | URL, name?: string, features?: string) => {
      if (options.blocked === true) return null;
      const popup: FakePopup = {
        closed: false,
        url: String(url),
        name: name ?? '',
        features: features ?? '',
        close() {
          popup.closed = true;
        },
        focus() {},
      };
      popups.push(popup);
      return popup as unknown as Window;
    });
  return { open, popups };
}

/** A `message` event as the browser builds it: `origin` and `source` are set by the browser, not the sender. */
export function postToOpener(data: unknown, origin: string, source: unknown): void {
  window.dispatchEvent(new MessageEvent('message', { data, origin, source: source as Window }));
}

/** Waits until `condition` holds (polling), at most `limitMs`. */
export async function until(condition: () => boolean, limitMs = 2_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
