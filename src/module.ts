import { createFrontendModule } from '@backstage/frontend-plugin-api';
import {
  kubernetesAuthProvidersApi,
  spectroCloudKubernetesAuthProvidersApi,
} from './kubernetesAuthProvidersApi';
import { spectroCloudAuthApi } from './spectroCloudAuthApi';
import { spectroCloudAuthCheck } from './spectroCloudAuthCheck';

/**
 * Adds SpectroCloud (Palette) OIDC ID tokens to the Kubernetes plugin, beside
 * its stock Microsoft, Google and OIDC providers.
 *
 * @public
 */
export const kubernetesModuleSpectroCloudAuth = createFrontendModule({
  pluginId: 'kubernetes',
  extensions: [
    kubernetesAuthProvidersApi,
    spectroCloudKubernetesAuthProvidersApi,
    spectroCloudAuthApi,
    spectroCloudAuthCheck,
  ],
});
