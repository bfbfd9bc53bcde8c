import type { ConfigApi } from '@backstage/frontend-plugin-api';
import { invalidTokenProviderName } from './errors';

/** The Kubernetes plugin's own OIDC providers: the module keeps them all. */
export const STOCK_OIDC_PROVIDERS = ['gitlab', 'google', 'microsoft', 'okta', 'onelogin'];

// An HTTP header token without capitals: pod logs send the ID token in the
// header `Backstage-Kubernetes-Authorization-oidc-<name>`, and the Kubernetes
// backend lowercases that name before it looks up the clusters'
// oidcTokenProvider, so a name with capitals would never match.
const HEADER_TOKEN_WITHOUT_CAPITALS = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

const usable = (name: string) =>
  HEADER_TOKEN_WITHOUT_CAPITALS.test(name) && !STOCK_OIDC_PROVIDERS.includes(name);

/**
 * The OIDC token-provider name of SpectroCloud clusters (`oidcTokenProvider`
 * in cluster config), from `kubernetes.spectroCloudAuth.tokenProviderName`.
 */
export function readTokenProviderName(config: ConfigApi): string {
  const name =
    config.getOptionalString('kubernetes.spectroCloudAuth.tokenProviderName') ?? 'spectrocloud';
  if (usable(name)) return name;
  const lowercase = name.toLowerCase();
  throw invalidTokenProviderName(name, usable(lowercase) ? lowercase : undefined);
}
