// A stand-in for the SpectroCloud cluster provider of the two-environment
// stack: it supplies the clusters of `devStack.suppliedClusters` through the
// Kubernetes backend's cluster-supplier extension point, with the authMetadata
// that provider sets in OIDC mode, beside the config locator's clusters (the
// default supplier's), as that provider does.
import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { ANNOTATION_KUBERNETES_AUTH_PROVIDER, ANNOTATION_KUBERNETES_OIDC_TOKEN_PROVIDER } from '@backstage/plugin-kubernetes-common';
import { kubernetesClusterSupplierExtensionPoint, type ClusterDetails } from '@backstage/plugin-kubernetes-node';

export default createBackendModule({
  pluginId: 'kubernetes',
  moduleId: 'dev-palette-clusters',
  register(reg) {
    reg.registerInit({
      deps: { suppliers: kubernetesClusterSupplierExtensionPoint, config: coreServices.rootConfig },
      async init({ suppliers, config }) {
        const supplied: ClusterDetails[] = (config.getOptionalConfigArray('devStack.suppliedClusters') ?? []).map(cluster => ({
          name: cluster.getString('name'),
          url: cluster.getString('url'),
          skipTLSVerify: true,
          skipMetricsLookup: true,
          authMetadata: {
            [ANNOTATION_KUBERNETES_AUTH_PROVIDER]: 'oidc',
            [ANNOTATION_KUBERNETES_OIDC_TOKEN_PROVIDER]: cluster.getString('oidcTokenProvider'),
          },
        }));
        suppliers.addClusterSupplier(async ({ getDefault }) => {
          const defaults = await getDefault();
          return { getClusters: async options => [...(await defaults.getClusters(options)), ...supplied] };
        });
      },
    });
  },
});
