import { useEffect } from 'react';
import {
  ApiBlueprint, AppRootElementBlueprint, appTreeApiRef, configApiRef, createFrontendModule,
  errorApiRef, gitlabAuthApiRef, googleAuthApiRef, microsoftAuthApiRef,
  oktaAuthApiRef, oneloginAuthApiRef, useApi, useApiHolder, type OpenIdConnectApi,
} from '@backstage/frontend-plugin-api';
import { KubernetesAuthProviders, kubernetesAuthProvidersApiRef } from '@backstage/plugin-kubernetes-react';
import { readTokenProviderName } from './config';
import * as errors from './errors';
import { idTokenProblem, SEND_MARGIN } from './idToken';
import { spectroCloudAuthApi } from './SpectroCloudAuth';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';

/**
 * The SpectroCloud auth API as a Kubernetes OIDC provider sees it: a usable
 * ID token, or an error that names the cause and the fix, so that no request
 * goes to a cluster without a token as if it had one.
 */
export function guardIdTokens(auth: OpenIdConnectApi, provider: string): OpenIdConnectApi {
  return {
    async getIdToken(options) {
      let token: unknown;
      try {
        token = await auth.getIdToken(options);
      } catch (error) {
        throw errors.signInRequired(provider, error);
      }
      if (typeof token !== 'string' || !token.trim()) throw errors.idTokenMissing(provider);
      const problem = idTokenProblem(token, SEND_MARGIN);
      if (problem && 'alg' in problem) throw errors.notAnIdToken(provider, problem.alg);
      if (problem) throw errors.sessionExpired(provider, problem.expiresAt);
      return token;
    },
  };
}

const authProvidersDeps = {
  configApi: configApiRef,
  gitlabAuthApi: gitlabAuthApiRef,
  googleAuthApi: googleAuthApiRef,
  microsoftAuthApi: microsoftAuthApiRef,
  oktaAuthApi: oktaAuthApiRef,
  oneloginAuthApi: oneloginAuthApiRef,
  spectroCloudAuthApi: spectroCloudAuthApiRef,
};

// Named, so that the start-up check can tell this module's providers API
// extensions from any other by their factory.
function buildAuthProviders(deps: { [K in keyof typeof authProvidersDeps]: (typeof authProvidersDeps)[K]['T'] }) {
  const tokenProviderName = readTokenProviderName(deps.configApi);
  // The Kubernetes plugin's own providers, and SpectroCloud's.
  return new KubernetesAuthProviders({
    microsoftAuthApi: deps.microsoftAuthApi,
    googleAuthApi: deps.googleAuthApi,
    oidcProviders: {
      gitlab: deps.gitlabAuthApi,
      google: deps.googleAuthApi,
      microsoft: deps.microsoftAuthApi,
      okta: deps.oktaAuthApi,
      onelogin: deps.oneloginAuthApi,
      [tokenProviderName]: guardIdTokens(deps.spectroCloudAuthApi, tokenProviderName),
    },
  });
}

const authProvidersApi = (name: string) =>
  ApiBlueprint.make({
    name,
    params: defineParams =>
      defineParams({ api: kubernetesAuthProvidersApiRef, deps: authProvidersDeps, factory: buildAuthProviders }),
  });

// A module extension with the id of one of its plugin's extensions replaces
// it wherever app-config names either. The second id serves apps whose
// app-config disables the first, which disables the replacement too.
const replacedAuthProvidersApi = authProvidersApi('auth-providers');
const ownAuthProvidersApi = authProvidersApi('spectrocloud-auth-providers');

// API factories cannot declare optional dependencies, and an app keeps one of
// several providers of an API without a word, so these problems would only
// show later, in the Kubernetes tab. Checked once at app start instead.
function StartupCheck() {
  const apis = useApiHolder();
  const errorApi = useApi(errorApiRef);
  const appTreeApi = useApi(appTreeApiRef);
  const configApi = useApi(configApiRef);
  useEffect(() => {
    if (!apis.get(spectroCloudAuthApiRef)) errorApi.post(errors.missingSpectroCloudAuthApi());
    try {
      readTokenProviderName(configApi);
    } catch (error) {
      errorApi.post(error as Error);
    }
    // The enabled extensions that provide the Kubernetes auth providers API.
    const providers = [...appTreeApi.getTree().tree.nodes.values()]
      .map(node => ({ id: node.spec.id, factory: node.instance?.getData(ApiBlueprint.dataRefs.factory) }))
      .filter(({ factory }) => factory?.api.id === kubernetesAuthProvidersApiRef.id);
    const others = providers.filter(({ factory }) => factory?.factory !== buildAuthProviders).map(({ id }) => id);
    if (providers.length === 0) errorApi.post(errors.missingKubernetesAuthProviders());
    if (others.length) errorApi.post(errors.kubernetesAuthProvidersOverridden(others));
  }, [apis, errorApi, appTreeApi, configApi]);
  return null;
}

const startupCheck = AppRootElementBlueprint.make({
  name: 'spectrocloud-auth-check',
  params: { element: <StartupCheck /> },
});

/**
 * Adds SpectroCloud (Palette) OIDC ID tokens to the Kubernetes plugin, beside
 * its own Microsoft, Google and OIDC providers.
 *
 * @public
 */
export const kubernetesModuleSpectroCloudAuth = createFrontendModule({
  pluginId: 'kubernetes',
  extensions: [replacedAuthProvidersApi, ownAuthProvidersApi, spectroCloudAuthApi, startupCheck],
});
