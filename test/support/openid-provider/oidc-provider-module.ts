// oidc-provider, typed: the package ships no declarations, so these interfaces describe the parts the stand-in uses.
// @ts-expect-error -- oidc-provider 9 ships no type declarations; the interfaces below describe the parts used here.
import * as untypedOidcProviderModule from 'oidc-provider';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** The Koa context fields the stand-in reads (oidc-provider is a Koa application). */
export interface ProviderContext {
  method: string;
  path: string;
  querystring: string;
  headers: IncomingHttpHeaders;
  req: IncomingMessage;
  status: number;
  body: unknown;
  type: string;
  oidc?: {
    route?: string;
    params?: Record<string, unknown>;
    session?: { accountId?: string };
  };
}

export interface OidcAccessToken {
  readonly accountId: string;
  readonly clientId: string;
  readonly grantId: string;
  readonly scope?: string;
  readonly exp: number;
  /** Issued at (seconds). */
  readonly iat: number;
  readonly isExpired: boolean;
}

export interface OidcGrant {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}

export interface OidcInteraction {
  readonly uid: string;
  readonly params: Record<string, string | undefined>;
  readonly returnTo: string;
  /** The sign-in session the interaction started in; `cookie` is the session's id. */
  session?: { accountId: string; uid?: string; cookie?: string };
  result?: Record<string, unknown>;
  /** Saves the interaction for the rest of its lifetime. */
  persist(): Promise<unknown>;
}

/** The oidc-provider instance as typed here (the package has no declarations): the members tests may use. */
export interface OidcProvider {
  readonly issuer: string;
  callback(): (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  use(middleware: (context: ProviderContext, next: () => Promise<void>) => Promise<void>): void;
  interactionDetails(request: IncomingMessage, response: ServerResponse): Promise<OidcInteraction>;
  interactionFinished(
    request: IncomingMessage,
    response: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  readonly Grant: new (properties: { accountId: string; clientId: string }) => OidcGrant;
  readonly AccessToken: { find(value: string): Promise<OidcAccessToken | undefined> };
  readonly Client: { find(clientId: string): Promise<OidcClient | undefined> };
}

/** A registered client; `backchannelLogout` signs a logout token and POSTs it to the client's URI. */
export interface OidcClient {
  backchannelLogout(subject: string, providerSessionId: string): Promise<void>;
}

/** oidc-provider's `interactionPolicy` export: the prompts and checks that decide when to ask the user. */
export interface InteractionPolicy {
  base(): {
    get(name: string): { checks: unknown[] } | undefined;
    add(prompt: unknown): void;
  };
  Prompt: new (options: { name: string; requestable: boolean }) => unknown;
  Check: (new (
    reason: string,
    description: string,
    error: string,
    check: (context: ProviderContext) => boolean,
  ) => unknown) & { REQUEST_PROMPT: boolean; NO_NEED_TO_PROMPT: boolean };
}

export const oidcProviderModule = untypedOidcProviderModule as unknown as {
  default: new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
  interactionPolicy: InteractionPolicy;
};
