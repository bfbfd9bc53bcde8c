import { useEffect, useState } from 'react';
import {
  ApiBlueprint, AppRootElementBlueprint, appTreeApiRef, configApiRef, createFrontendModule,
  discoveryApiRef, errorApiRef, fetchApiRef, gitlabAuthApiRef, googleAuthApiRef, identityApiRef, microsoftAuthApiRef,
  oauthRequestApiRef, oktaAuthApiRef, oneloginAuthApiRef, useApi, useApiHolder, type OpenIdConnectApi,
} from '@backstage/frontend-plugin-api';
import {
  KubernetesAuthProviders, kubernetesAuthProvidersApiRef, type KubernetesAuthProvidersApi,
} from '@backstage/plugin-kubernetes-react';
import { readTokenSources, type TokenSource } from './config';
import * as errors from './errors';
import { createSpectroCloudAuth, spectroCloudAuthApi } from './SpectroCloudAuth';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';
import { askOnce, backendModuleCheck, guardIdTokens } from './tokenPolicies';
import { forSignedInUser, noteSignInAtLoad } from './userSessions';

const authProvidersDeps = {
  configApi: configApiRef,
  discoveryApi: discoveryApiRef,
  fetchApi: fetchApiRef,
  identityApi: identityApiRef,
  oauthRequestApi: oauthRequestApiRef,
  gitlabAuthApi: gitlabAuthApiRef,
  googleAuthApi: googleAuthApiRef,
  microsoftAuthApi: microsoftAuthApiRef,
  oktaAuthApi: oktaAuthApiRef,
  oneloginAuthApi: oneloginAuthApiRef,
  spectroCloudAuthApi: spectroCloudAuthApiRef,
};

// Named, so that the start-up check can tell this module's providers API
// extensions from any other by their factory.
function buildAuthProviders(deps: { [K in keyof typeof authProvidersDeps]: (typeof authProvidersDeps)[K]['T'] }): KubernetesAuthProvidersApi {
  // auth.spectrocloud for the default token source; a client of its own for
  // each environment, so that their sessions never touch one another. Each
  // serves only the Backstage user whose session it is.
  const sources = readTokenSources(deps.configApi).map(source => {
    const auth = source.authProvider
      ? createSpectroCloudAuth(
          { configApi: deps.configApi, discoveryApi: deps.discoveryApi, oauthRequestApi: deps.oauthRequestApi },
          { id: source.authProvider, title: source.title },
        )
      : deps.spectroCloudAuthApi;
    return { source, auth: forSignedInUser(auth, source, deps.identityApi) };
  });
  // The Kubernetes plugin's own providers, and SpectroCloud's.
  const providers = (spectroCloud: (auth: OpenIdConnectApi, source: TokenSource) => OpenIdConnectApi) =>
    new KubernetesAuthProviders({
      microsoftAuthApi: deps.microsoftAuthApi,
      googleAuthApi: deps.googleAuthApi,
      oidcProviders: {
        gitlab: deps.gitlabAuthApi,
        google: deps.googleAuthApi,
        microsoft: deps.microsoftAuthApi,
        okta: deps.oktaAuthApi,
        onelogin: deps.oneloginAuthApi,
        ...Object.fromEntries(sources.map(({ source, auth }) => [source.name, spectroCloud(auth, source)])),
      },
    });
  // The objects request decorates its body; pod logs and other proxy actions
  // ask for credentials, and never run without the token.
  const backendModuleServes = backendModuleCheck(deps.discoveryApi, deps.fetchApi);
  const forObjects = providers((auth, source) => askOnce(auth, source, backendModuleServes));
  const forProxy = providers(guardIdTokens);
  return {
    decorateRequestBodyForAuth: (authProvider, body) => forObjects.decorateRequestBodyForAuth(authProvider, body),
    getCredentials: authProvider => forProxy.getCredentials(authProvider),
  };
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
  // Rendered before the sign-in page, so before anyone can sign in here.
  useState(noteSignInAtLoad);
  const apis = useApiHolder();
  const errorApi = useApi(errorApiRef);
  const appTreeApi = useApi(appTreeApiRef);
  const configApi = useApi(configApiRef);
  useEffect(() => {
    if (!apis.get(spectroCloudAuthApiRef)) errorApi.post(errors.missingSpectroCloudAuthApi());
    try {
      readTokenSources(configApi);
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
