import type { RootConfigService } from '@backstage/backend-plugin-api';
import { invalidEnvironment, invalidTokenProviderName } from './errors';

// The frontend module's check of kubernetes.spectroCloudAuth (src/config.ts),
// repeated here because this package's build cannot take files from outside
// it; src/config.test.ts runs both on the same configs and expects the same
// sources and the same errors.

const STOCK_OIDC_PROVIDERS = ['gitlab', 'google', 'microsoft', 'okta', 'onelogin'];

const KEY = 'kubernetes.spectroCloudAuth';

/** The backend auth provider of `auth.spectrocloud`, which serves `tokenProviderName`. */
const DEFAULT_AUTH_PROVIDER = 'spectrocloud';

// The Kubernetes backend lowercases the name of the header that carries a
// token to pod logs, so a name with capitals would never match.
const HEADER_TOKEN_WITHOUT_CAPITALS = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

const usable = (name: string) => HEADER_TOKEN_WITHOUT_CAPITALS.test(name) && !STOCK_OIDC_PROVIDERS.includes(name);

function checkedName(name: string, key: string): string {
  if (usable(name)) return name;
  const lowercase = name.toLowerCase();
  throw invalidTokenProviderName(key, name, usable(lowercase) ? lowercase : undefined);
}

/** The clusters' `oidcTokenProvider` and the title of its Palette; the auth provider that signs in to it, but for `auth.spectrocloud`'s. */
export type TokenSource = { name: string; title: string; authProvider?: string };

// The source, as messages name it, that already signs in with `authProvider`:
// one backend auth provider signs in to one Palette, and its token would
// go to every cluster of the sources it serves.
function sourceSigningInWith(authProvider: string, sources: TokenSource[]): string | undefined {
  if (authProvider === DEFAULT_AUTH_PROVIDER) return 'auth.spectrocloud (the tokenProviderName above it)';
  return sources.some(source => source.authProvider === authProvider) ? 'an earlier environment' : undefined;
}

/**
 * Every SpectroCloud token source: `auth.spectrocloud`'s, then one per entry
 * of `kubernetes.spectroCloudAuth.environments`. Throws on the config the
 * frontend module refuses, with the same error.
 */
export function readTokenSources(config: RootConfigService): TokenSource[] {
  const tokenProviderName = config.getOptionalString(`${KEY}.tokenProviderName`) ?? 'spectrocloud';
  const sources: TokenSource[] = [{ name: checkedName(tokenProviderName, `${KEY}.tokenProviderName`), title: 'SpectroCloud' }];
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

/** The SpectroCloud token-provider names, each with the title of its Palette. */
export function readTokenProviders(config: RootConfigService): Map<string, string> {
  return new Map(readTokenSources(config).map(source => [source.name, source.title]));
}

// `*` stands for any run of characters but `/`: it may cover a host name's
// labels or a port, never a path.
function urlPattern(pattern: string): RegExp {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${pattern.split('*').map(literal).join('[^/]*')}$`);
}

/**
 * Whether `kubernetes.spectroCloudAuth.allowedCatalogClusterUrls` lists a
 * URL: each of its patterns must match the whole URL.
 */
export function readAllowedCatalogClusterUrls(config: RootConfigService): (url: string) => boolean {
  const patterns = (config.getOptionalStringArray(`${KEY}.allowedCatalogClusterUrls`) ?? []).map(urlPattern);
  return url => patterns.some(pattern => pattern.test(url));
}
