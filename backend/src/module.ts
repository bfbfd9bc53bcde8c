import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { kubernetesAuthStrategyExtensionPoint, kubernetesFetcherExtensionPoint } from '@backstage/plugin-kubernetes-node';
import { readAllowedCatalogClusterUrls, readTokenProviders } from './config';
import { oidcRegisteredAfter } from './errors';
import { authStrategies, registerAuthStrategies, skipClustersWithoutToken, spectroCloudOidcStrategy } from './strategies';

export { signInMessage } from './strategies';

/** The route that tells the frontend module this backend module is here. */
export const TOKEN_PROVIDERS_PATH = '/spectrocloud-auth/token-providers';

/**
 * Lets the Kubernetes tab show every other cluster to users without a
 * SpectroCloud session: a cluster whose `oidcTokenProvider` is a SpectroCloud
 * one (the default's or an environment's), asked for without a token it may
 * use, shows its own error ("Sign in with SpectroCloud to see this cluster's
 * resources.", with the environment's title) and gets no request.
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
        lifecycle: coreServices.lifecycle,
      },
      async init({ strategies, fetchers, config, logger, http, lifecycle }) {
        const tokenProviders = readTokenProviders(config);
        const oidc = spectroCloudOidcStrategy({ tokenProviders, catalogClusterUrlAllowed: readAllowedCatalogClusterUrls(config) });
        const oidcReplaced = registerAuthStrategies(strategies, authStrategies({ config, logger, oidc }));
        fetchers.addFetcher(async ({ getDefault }) => skipClustersWithoutToken(await getDefault()));

        // Every module has registered its strategies by the time the plugin starts.
        const conflict = () => (oidcReplaced() ? oidcRegisteredAfter().message : undefined);
        lifecycle.addStartupHook(() => {
          const message = conflict();
          if (message) logger.error(message);
        });
        // With another module's `oidc`, the frontend must not count on this one.
        http.use((req, res, next) => {
          if (req.method !== 'GET' || req.path !== TOKEN_PROVIDERS_PATH) return next();
          const message = conflict();
          return res.json(message ? { tokenProviders: [], conflict: message } : { tokenProviders: [...tokenProviders.keys()] });
        });
      },
    });
  },
});
