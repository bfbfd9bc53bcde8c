import type { LoggerService, RootConfigService } from '@backstage/backend-plugin-api';
import {
  AksStrategy, AnonymousStrategy, AwsIamStrategy, AzureIdentityStrategy, GoogleServiceAccountStrategy,
  GoogleStrategy, OidcStrategy, ServiceAccountStrategy,
} from '@backstage/plugin-kubernetes-backend';
import { ANNOTATION_KUBERNETES_API_SERVER, ANNOTATION_KUBERNETES_OIDC_TOKEN_PROVIDER } from '@backstage/plugin-kubernetes-common';
import type {
  AuthenticationStrategy, ClusterDetails, KubernetesAuthStrategyExtensionPoint, KubernetesCredential, KubernetesFetcher,
} from '@backstage/plugin-kubernetes-node';
import { oidcRegisteredBefore } from './errors';
import { idTokenProblem, type IdTokenProblem } from './idToken';

/** What a cluster shows when it needs a token of the Palette `title` that the request lacks. */
export const signInMessage = (title: string) => `Sign in with ${title} to see this cluster's resources: the Kubernetes access page has a button for it.`;

const untrustedCatalogClusterMessage = (title: string, url: string) =>
  `This cluster is declared in the catalog, and kubernetes.spectroCloudAuth.allowedCatalogClusterUrls does not list its URL ${url}: it gets no ${title} token.`;

function tokenProblemMessage(title: string, problem: IdTokenProblem): string {
  const idTokenProvider = `use a backend auth provider that gives ${title}'s ID token, such as Backstage's OIDC authenticator`;
  if ('malformed' in problem) return `The ${title} token is no ID token (${problem.malformed}): ${idTokenProvider}, to see this cluster's resources.`;
  if ('alg' in problem) return `The ${title} token is signed ${problem.alg}, which Kubernetes never accepts: reload the page, or ${idTokenProvider}, to see this cluster's resources.`;
  const now = new Date();
  return `The ${title} ID token ${problem.expiresAt <= now ? 'expired' : 'expires'} at ${problem.expiresAt.toISOString()} (backend clock: ${now.toISOString()}): sign in with ${title} again, here or on the Kubernetes access page, to see this cluster's resources.`;
}

// Credentials that stand for a SpectroCloud token the cluster may not have.
// The backend asks every cluster's credential before it fetches any, and one
// error fails the whole response; so such a credential goes on to the
// fetcher, which turns it into that cluster's own error. Anything else that
// uses it, such as the proxy behind pod logs, reads its token and fails.
// Each maps to the message its cluster shows.
const withoutToken = new WeakMap<KubernetesCredential, string>();

function credentialWithoutToken(message: string, proxyMessage = message): KubernetesCredential {
  const credential = {
    type: 'bearer token' as const,
    get token(): string {
      throw new Error(proxyMessage);
    },
  };
  withoutToken.set(credential, message);
  return credential;
}

// The catalog cluster locator copies every `kubernetes.io/*` annotation of a
// cluster entity into its authMetadata, and takes only entities with this
// one; the config locator and cluster suppliers set no such key (unless an
// admin writes it into a cluster's authMetadata).
const fromCatalog = (cluster: ClusterDetails) => cluster.authMetadata[ANNOTATION_KUBERNETES_API_SERVER] !== undefined;

/**
 * The stock `oidc` strategy, except for clusters of a SpectroCloud token
 * provider: a cluster from the catalog whose URL is not allowed, or a token
 * that is missing or that Kubernetes would refuse, gives a credential without
 * the token, which shows that cluster's own error.
 */
export function spectroCloudOidcStrategy(options: {
  /** Token-provider names, each with the title of its Palette. */
  tokenProviders: Map<string, string>;
  catalogClusterUrlAllowed: (url: string) => boolean;
}): AuthenticationStrategy {
  const { tokenProviders, catalogClusterUrlAllowed } = options;
  const oidc = new OidcStrategy();
  return {
    async getCredential(cluster, auth) {
      const tokenProvider = cluster.authMetadata[ANNOTATION_KUBERNETES_OIDC_TOKEN_PROVIDER];
      const title = tokenProviders.get(tokenProvider);
      if (!title) return oidc.getCredential(cluster, auth);
      // Anyone who may edit the catalog could point such a cluster anywhere.
      if (fromCatalog(cluster) && !catalogClusterUrlAllowed(cluster.url)) return credentialWithoutToken(untrustedCatalogClusterMessage(title, cluster.url));
      const token = (auth.oidc as { [tokenProvider: string]: unknown } | undefined)?.[tokenProvider];
      if (!token) return credentialWithoutToken(signInMessage(title), `Auth token not found under oidc.${tokenProvider} in request body`);
      // A request body may hold anything there; what is no string is no JWS.
      const problem = idTokenProblem(typeof token === 'string' ? token : '');
      if (problem) return credentialWithoutToken(tokenProblemMessage(title, problem));
      return { type: 'bearer token', token: token as string };
    },
    validateCluster: authMetadata => oidc.validateCluster(authMetadata),
    presentAuthMetadata: authMetadata => oidc.presentAuthMetadata(authMetadata),
  };
}

/** `fetcher`, except that a cluster with a credential without token gets its own error, and no request. */
export function skipClustersWithoutToken(fetcher: KubernetesFetcher): KubernetesFetcher {
  return {
    async fetchObjectsForService(params) {
      const message = withoutToken.get(params.credential);
      if (!message) return fetcher.fetchObjectsForService(params);
      return { errors: [{ errorType: 'FETCH_ERROR', message }], responses: [] };
    },
    // The backend asks for metrics only of pods it fetched, which such a
    // cluster has none of; another module's objects provider might not.
    async fetchPodMetricsByNamespaces(cluster, credential, ...rest) {
      if (withoutToken.has(credential)) return { errors: [], responses: [] };
      return fetcher.fetchPodMetricsByNamespaces(cluster, credential, ...rest);
    },
  };
}

/**
 * The Kubernetes backend's default strategies (adding any strategy replaces
 * them all), with `oidc` replaced.
 */
export function authStrategies(options: { config: RootConfigService; logger: LoggerService; oidc: AuthenticationStrategy }) {
  const { config, logger, oidc } = options;
  return new Map<string, AuthenticationStrategy>([
    ['aks', new AksStrategy()],
    ['aws', new AwsIamStrategy({ config })],
    ['azure', new AzureIdentityStrategy(logger)],
    ['google', new GoogleStrategy()],
    ['googleServiceAccount', new GoogleServiceAccountStrategy({ config })],
    ['localKubectlProxy', new AnonymousStrategy()],
    ['oidc', oidc],
    ['serviceAccount', new ServiceAccountStrategy()],
  ]);
}

// The Kubernetes backend's own extension point lists what the modules have
// registered so far; another implementation may not.
type ListingExtensionPoint = KubernetesAuthStrategyExtensionPoint & {
  getAuthenticationStrategies(): Map<string, AuthenticationStrategy> | undefined;
};
const lists = (extensionPoint: KubernetesAuthStrategyExtensionPoint): extensionPoint is ListingExtensionPoint =>
  typeof (extensionPoint as Partial<ListingExtensionPoint>).getAuthenticationStrategies === 'function';

/**
 * Registers `strategies` beside other modules' (the last registration of a
 * key wins, and modules start concurrently): a key another module registered
 * earlier stays theirs, one they register later replaces ours; but an `oidc`
 * registered earlier stops the backend. Returns whether another module's
 * `oidc` has replaced ours since, which is known once every module has
 * started; without a listing extension point, it registers every strategy
 * and cannot tell.
 */
export function registerAuthStrategies(extensionPoint: KubernetesAuthStrategyExtensionPoint, strategies: Map<string, AuthenticationStrategy>): () => boolean {
  if (!lists(extensionPoint)) {
    for (const [key, strategy] of strategies) extensionPoint.addAuthStrategy(key, strategy);
    return () => false;
  }
  const registered = () => extensionPoint.getAuthenticationStrategies() ?? new Map<string, AuthenticationStrategy>();
  const earlier = registered();
  if (earlier.has('oidc')) throw oidcRegisteredBefore();
  for (const [key, strategy] of strategies) {
    if (!earlier.has(key)) extensionPoint.addAuthStrategy(key, strategy);
  }
  return () => registered().get('oidc') !== strategies.get('oidc');
}
