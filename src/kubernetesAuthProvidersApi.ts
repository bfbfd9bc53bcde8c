import {
  ApiBlueprint,
  configApiRef,
  gitlabAuthApiRef,
  googleAuthApiRef,
  microsoftAuthApiRef,
  oktaAuthApiRef,
  oneloginAuthApiRef,
  type AppNodeSpec,
} from '@backstage/frontend-plugin-api';
import {
  KubernetesAuthProviders,
  kubernetesAuthProvidersApiRef,
} from '@backstage/plugin-kubernetes-react';
import { readTokenProviderName } from './config';
import { SpectroCloudKubernetesAuthProviders } from './SpectroCloudKubernetesAuthProviders';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';

// The app nodes whose API factory this module built, so the start-up check
// can tell this module's extensions from any other that provides the API,
// even one that took over an id of this module.
const nodesOfThisModule = new WeakSet<AppNodeSpec>();

/** Whether an app node's extension is one of this module's providers APIs. */
export function isProvidedByThisModule(spec: AppNodeSpec): boolean {
  return nodesOfThisModule.has(spec);
}

function makeAuthProvidersApi<TName extends string>(name: TName) {
  return ApiBlueprint.makeWithOverrides({
    name,
    factory(originalFactory, { node }) {
      nodesOfThisModule.add(node.spec);
      return originalFactory(defineParams =>
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
          factory: deps => {
            const tokenProviderName = readTokenProviderName(deps.configApi);
            // The same providers the Kubernetes plugin's own extension
            // builds; a test compares the two.
            const stock = new KubernetesAuthProviders({
              microsoftAuthApi: deps.microsoftAuthApi,
              googleAuthApi: deps.googleAuthApi,
              oidcProviders: {
                gitlab: deps.gitlabAuthApi,
                google: deps.googleAuthApi,
                microsoft: deps.microsoftAuthApi,
                okta: deps.oktaAuthApi,
                onelogin: deps.oneloginAuthApi,
              },
            });
            return new SpectroCloudKubernetesAuthProviders({
              stock,
              spectroCloudAuthApi: deps.spectroCloudAuthApi,
              tokenProviderName,
            });
          },
        }),
      );
    },
  });
}

/**
 * Replaces the Kubernetes plugin's `api:kubernetes/auth-providers`: a module
 * extension with the id of one of its plugin's extensions always takes its
 * place, whatever app-config names.
 */
export const kubernetesAuthProvidersApi = makeAuthProvidersApi('auth-providers');

/**
 * The same API under an id of its own, `api:kubernetes/spectrocloud-auth-providers`,
 * for apps whose app-config disables `api:kubernetes/auth-providers` (which
 * disables the replacement above too). When both are on, the app keeps one of
 * them; both are this module's.
 */
export const spectroCloudKubernetesAuthProvidersApi = makeAuthProvidersApi(
  'spectrocloud-auth-providers',
);
