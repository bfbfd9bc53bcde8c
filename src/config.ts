import type { ConfigApi } from '@backstage/frontend-plugin-api';
import { invalidEnvironment, invalidTokenProviderName } from './errors';

/** The Kubernetes plugin's own OIDC providers: the module keeps them all. */
export const STOCK_OIDC_PROVIDERS = ['gitlab', 'google', 'microsoft', 'okta', 'onelogin'];

const KEY = 'kubernetes.spectroCloudAuth';

/** The backend auth provider of `auth.spectrocloud`, which serves `tokenProviderName`. */
const DEFAULT_AUTH_PROVIDER = 'spectrocloud';

// An HTTP header token without capitals: pod logs send the ID token in the
// header `Backstage-Kubernetes-Authorization-oidc-<name>`, and the Kubernetes
// backend lowercases that name before it looks up the clusters'
// oidcTokenProvider, so a name with capitals would never match.
const HEADER_TOKEN_WITHOUT_CAPITALS = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

const usable = (name: string) =>
  HEADER_TOKEN_WITHOUT_CAPITALS.test(name) && !STOCK_OIDC_PROVIDERS.includes(name);

function checkedName(name: string, key: string): string {
  if (usable(name)) return name;
  const lowercase = name.toLowerCase();
  throw invalidTokenProviderName(key, name, usable(lowercase) ? lowercase : undefined);
}

/** Where SpectroCloud ID tokens come from for the clusters of one `oidcTokenProvider`. */
export interface TokenSource {
  /** The clusters' `oidcTokenProvider`. */
  name: string;
  /** The Palette instance, as users know it: shown when asking to sign in, and in errors. */
  title: string;
  /** The backend auth provider id that signs users in; none for `auth.spectrocloud`'s. */
  authProvider?: string;
}

/**
 * The OIDC token-provider name of SpectroCloud clusters (`oidcTokenProvider`
 * in cluster config), from `kubernetes.spectroCloudAuth.tokenProviderName`.
 */
export function readTokenProviderName(config: ConfigApi): string {
  return checkedName(config.getOptionalString(`${KEY}.tokenProviderName`) ?? 'spectrocloud', `${KEY}.tokenProviderName`);
}

// The source, as messages name it, that already signs in with `authProvider`:
// one backend auth provider signs in to one Palette, and its token would
// go to every cluster of the sources it serves.
function sourceSigningInWith(authProvider: string, sources: TokenSource[]): string | undefined {
  if (authProvider === DEFAULT_AUTH_PROVIDER) return 'auth.spectrocloud (the tokenProviderName above it)';
  return sources.some(source => source.authProvider === authProvider) ? 'an earlier environment' : undefined;
}

/**
 * Every SpectroCloud token source: `auth.spectrocloud`'s, then one per entry
 * of `kubernetes.spectroCloudAuth.environments`.
 */
export function readTokenSources(config: ConfigApi): TokenSource[] {
  const sources: TokenSource[] = [{ name: readTokenProviderName(config), title: 'SpectroCloud' }];
  (config.getOptionalConfigArray(`${KEY}.environments`) ?? []).forEach((environment, index) => {
    const key = `${KEY}.environments[${index}]`;
    const name = checkedName(environment.getString('tokenProviderName'), `${key}.tokenProviderName`);
    if (sources.some(source => source.name === name)) {
      throw invalidEnvironment(key, `its tokenProviderName '${name}' is already served ${sources[0].name === name ? 'by auth.spectrocloud (the tokenProviderName above it)' : 'by an earlier environment'}. Give each Palette a name of its own`);
    }
    const authProvider = environment.getOptionalString('authProvider');
    if (!authProvider) throw invalidEnvironment(key, 'it has no authProvider. Set it to the id of the backend auth provider that signs users in to that Palette');
    const signingIn = sourceSigningInWith(authProvider, sources);
    if (signingIn) throw invalidEnvironment(key, `its authProvider '${authProvider}' already signs in for ${signingIn}, whose token would go to this Palette's clusters. Give each Palette a backend auth provider of its own`);
    sources.push({ name, title: environment.getOptionalString('title') ?? authProvider, authProvider });
  });
  return sources;
}
