import type { ConfigApi } from '@backstage/frontend-plugin-api';
import { invalidEnvironment, invalidTokenProviderName } from './errors';

/** The Kubernetes plugin's own OIDC providers: the module keeps them all. */
export const STOCK_OIDC_PROVIDERS = ['gitlab', 'google', 'microsoft', 'okta', 'onelogin'];

const KEY = 'kubernetes.spectroCloudAuth';

// An HTTP header token without capitals: pod logs send the ID token in the
// header `Backstage-Kubernetes-Authorization-oidc-<name>`, whose name the
// Kubernetes backend lowercases before it looks up the clusters'.
const HEADER_TOKEN_WITHOUT_CAPITALS = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

const usable = (name: string) => HEADER_TOKEN_WITHOUT_CAPITALS.test(name) && !STOCK_OIDC_PROVIDERS.includes(name);

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

const DEFAULT_SOURCE = 'auth.spectrocloud (the tokenProviderName above it)';

/**
 * Every SpectroCloud token source: `auth.spectrocloud`'s (backend provider
 * `spectrocloud`), for `tokenProviderName`, then one per environment.
 */
export function readTokenSources(config: ConfigApi): TokenSource[] {
  const sources: TokenSource[] = [
    { name: checkedName(config.getOptionalString(`${KEY}.tokenProviderName`) ?? 'spectrocloud', `${KEY}.tokenProviderName`), title: 'SpectroCloud' },
  ];
  (config.getOptionalConfigArray(`${KEY}.environments`) ?? []).forEach((environment, index) => {
    const key = `${KEY}.environments[${index}]`;
    const name = checkedName(environment.getString('tokenProviderName'), `${key}.tokenProviderName`);
    if (sources.some(source => source.name === name)) {
      throw invalidEnvironment(key, `its tokenProviderName '${name}' is already served by ${sources[0].name === name ? DEFAULT_SOURCE : 'an earlier environment'}. Give each Palette a name of its own`);
    }
    const authProvider = environment.getOptionalString('authProvider');
    if (!authProvider) throw invalidEnvironment(key, 'it has no authProvider. Set it to the id of the backend auth provider that signs users in to that Palette');
    // One backend auth provider signs in to one Palette: its token would go to every cluster it serves.
    const signingIn = authProvider === 'spectrocloud' ? DEFAULT_SOURCE : sources.some(source => source.authProvider === authProvider) && 'an earlier environment';
    if (signingIn) throw invalidEnvironment(key, `its authProvider '${authProvider}' already signs in for ${signingIn}, whose token would go to this Palette's clusters. Give each Palette a backend auth provider of its own`);
    sources.push({ name, title: environment.getOptionalString('title') ?? authProvider, authProvider });
  });
  return sources;
}
