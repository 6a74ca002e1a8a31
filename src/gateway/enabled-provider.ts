// Maps a `{provider}` path parameter to an enabled provider's configuration, or a 404.
import type { ProviderConfig, ProviderId } from '../config/types.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { GatewayDependencies } from './gateway-env.ts';

/** Contract §3: an unknown or disabled provider is a 404, whatever the endpoint. */
export function enabledProvider(deps: GatewayDependencies, name: string): ProviderConfig {
  const provider = deps.config.providers.get(name as ProviderId);
  if (provider === undefined)
    throw new GatewayError(404, 'unknown_provider', 'no such provider is enabled');
  return provider;
}
