import {
  ApiBlueprint,
  configApiRef,
  gitlabAuthApiRef,
  googleAuthApiRef,
  microsoftAuthApiRef,
  oktaAuthApiRef,
  oneloginAuthApiRef,
} from '@backstage/frontend-plugin-api';
import {
  KubernetesAuthProviders,
  kubernetesAuthProvidersApiRef,
} from '@backstage/plugin-kubernetes-react';
import { readTokenProviderName } from './config';
import { SpectroCloudKubernetesAuthProviders } from './SpectroCloudKubernetesAuthProviders';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';

/**
 * The Kubernetes auth providers with SpectroCloud added beside every OIDC
 * provider the stock Kubernetes plugin offers.
 *
 * @remarks
 * Its id, `api:kubernetes/spectrocloud-auth-providers`, differs from the stock
 * `api:kubernetes/auth-providers`: a module extension of the same plugin that
 * provides the same API wins over the plugin's own, and apps that disable the
 * stock extension in app-config keep this one.
 *
 * @public
 */
export const spectroCloudKubernetesAuthProvidersApi = ApiBlueprint.make({
  name: 'spectrocloud-auth-providers',
  params: defineParams =>
    defineParams({
      api: kubernetesAuthProvidersApiRef,
      deps: {
        configApi: configApiRef,
        gitlabAuthApi: gitlabAuthApiRef,
        googleAuthApi: googleAuthApiRef,
        microsoftAuthApi: microsoftAuthApiRef,
        oktaAuthApi: oktaAuthApiRef,
        oneloginAuthApi: oneloginAuthApiRef,
        spectroCloudAuthApi: spectroCloudAuthApiRef,
      },
      factory: ({
        configApi,
        gitlabAuthApi,
        googleAuthApi,
        microsoftAuthApi,
        oktaAuthApi,
        oneloginAuthApi,
        spectroCloudAuthApi,
      }) => {
        const tokenProviderName = readTokenProviderName(configApi);
        // The same providers the Kubernetes plugin's own extension builds.
        const stock = new KubernetesAuthProviders({
          microsoftAuthApi,
          googleAuthApi,
          oidcProviders: {
            gitlab: gitlabAuthApi,
            google: googleAuthApi,
            microsoft: microsoftAuthApi,
            okta: oktaAuthApi,
            onelogin: oneloginAuthApi,
          },
        });
        return new SpectroCloudKubernetesAuthProviders({
          stock,
          spectroCloudAuthApi,
          tokenProviderName,
        });
      },
    }),
});
