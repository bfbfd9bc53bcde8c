import { coreServices, createBackendModule, type LoggerService, type RootConfigService } from '@backstage/backend-plugin-api';
import {
  AksStrategy, AnonymousStrategy, AwsIamStrategy, AzureIdentityStrategy, GoogleServiceAccountStrategy,
  GoogleStrategy, OidcStrategy, ServiceAccountStrategy,
} from '@backstage/plugin-kubernetes-backend';
import { ANNOTATION_KUBERNETES_OIDC_TOKEN_PROVIDER } from '@backstage/plugin-kubernetes-common';
import {
  kubernetesAuthStrategyExtensionPoint, kubernetesFetcherExtensionPoint,
  type AuthenticationStrategy, type KubernetesCredential, type KubernetesFetcher,
} from '@backstage/plugin-kubernetes-node';

/** What a cluster shows when it needs a token of the Palette `title` that the request lacks. */
export const signInMessage = (title: string) => `Sign in with ${title} to see this cluster's resources.`;

/** The route that tells the frontend module this backend module is here. */
export const TOKEN_PROVIDERS_PATH = '/spectrocloud-auth/token-providers';

/**
 * The SpectroCloud token-provider names, each with the title of its Palette,
 * from the frontend module's config, which checks them.
 */
export function readTokenProviders(config: RootConfigService): Map<string, string> {
  const settings = config.getOptionalConfig('kubernetes.spectroCloudAuth');
  return new Map([
    [settings?.getOptionalString('tokenProviderName') ?? 'spectrocloud', 'SpectroCloud'],
    ...(settings?.getOptionalConfigArray('environments') ?? []).map(environment => {
      const title = environment.getOptionalString('title') ?? environment.getString('authProvider');
      return [environment.getString('tokenProviderName'), title] as [string, string];
    }),
  ]);
}

// Credentials standing for a missing SpectroCloud token. The backend asks
// every cluster's credential before it fetches any, and one error fails the
// whole response; so such a credential goes on to the fetcher, which turns it
// into that cluster's own error. Anything else that uses it, such as the
// proxy behind pod logs, reads its token and fails as the stock strategy does.
// Each such credential maps to the title of its Palette.
const withoutToken = new WeakMap<KubernetesCredential, string>();

function credentialWithoutToken(tokenProvider: string, title: string): KubernetesCredential {
  const credential = {
    type: 'bearer token' as const,
    get token(): string {
      throw new Error(`Auth token not found under oidc.${tokenProvider} in request body`);
    },
  };
  withoutToken.set(credential, title);
  return credential;
}

/** The stock `oidc` strategy, except that a missing SpectroCloud token is no error yet. */
export function spectroCloudOidcStrategy(tokenProviders: Map<string, string>): AuthenticationStrategy {
  const oidc = new OidcStrategy();
  return {
    async getCredential(cluster, auth) {
      const tokenProvider = cluster.authMetadata[ANNOTATION_KUBERNETES_OIDC_TOKEN_PROVIDER];
      const tokens = auth.oidc as { [tokenProvider: string]: unknown } | undefined;
      const title = tokenProviders.get(tokenProvider);
      if (title && !tokens?.[tokenProvider]) return credentialWithoutToken(tokenProvider, title);
      return oidc.getCredential(cluster, auth);
    },
    validateCluster: authMetadata => oidc.validateCluster(authMetadata),
    presentAuthMetadata: authMetadata => oidc.presentAuthMetadata(authMetadata),
  };
}

/** `fetcher`, except that a cluster without its SpectroCloud token gets its own error and no request. */
export function skipClustersWithoutToken(fetcher: KubernetesFetcher): KubernetesFetcher {
  return {
    async fetchObjectsForService(params) {
      const title = withoutToken.get(params.credential);
      if (!title) return fetcher.fetchObjectsForService(params);
      return { errors: [{ errorType: 'FETCH_ERROR', message: signInMessage(title) }], responses: [] };
    },
    fetchPodMetricsByNamespaces: (...args) => fetcher.fetchPodMetricsByNamespaces(...args),
  };
}

/**
 * The Kubernetes backend's default strategies (adding any strategy replaces
 * them all), with `oidc` replaced.
 */
export function authStrategies(options: { config: RootConfigService; logger: LoggerService; tokenProviders: Map<string, string> }) {
  const { config, logger, tokenProviders } = options;
  return new Map<string, AuthenticationStrategy>([
    ['aks', new AksStrategy()],
    ['aws', new AwsIamStrategy({ config })],
    ['azure', new AzureIdentityStrategy(logger)],
    ['google', new GoogleStrategy()],
    ['googleServiceAccount', new GoogleServiceAccountStrategy({ config })],
    ['localKubectlProxy', new AnonymousStrategy()],
    ['oidc', spectroCloudOidcStrategy(tokenProviders)],
    ['serviceAccount', new ServiceAccountStrategy()],
  ]);
}

/**
 * Lets the Kubernetes tab show every other cluster to users without a
 * SpectroCloud session: a cluster whose `oidcTokenProvider` is a SpectroCloud
 * one (the default's or an environment's), asked for without its token, shows
 * "Sign in with SpectroCloud to see this cluster's resources." (with the
 * environment's title) and gets no request.
 *
 * @public
 */
export const kubernetesModuleSpectroCloudAuth = createBackendModule({
  pluginId: 'kubernetes',
  moduleId: 'spectrocloud-auth',
  register(reg) {
    reg.registerInit({
      deps: {
        strategies: kubernetesAuthStrategyExtensionPoint,
        fetchers: kubernetesFetcherExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        http: coreServices.httpRouter,
      },
      async init({ strategies, fetchers, config, logger, http }) {
        const tokenProviders = readTokenProviders(config);
        for (const [key, strategy] of authStrategies({ config, logger, tokenProviders })) {
          strategies.addAuthStrategy(key, strategy);
        }
        fetchers.addFetcher(async ({ getDefault }) => skipClustersWithoutToken(await getDefault()));
        http.use((req, res, next) => {
          if (req.method === 'GET' && req.path === TOKEN_PROVIDERS_PATH) res.json({ tokenProviders: [...tokenProviders.keys()] });
          else next();
        });
      },
    });
  },
});
