import { useEffect, useState } from 'react';
import {
  ApiBlueprint, AppRootElementBlueprint, appTreeApiRef, configApiRef, createFrontendModule, createRouteRef, PageBlueprint,
  discoveryApiRef, errorApiRef, fetchApiRef, gitlabAuthApiRef, googleAuthApiRef, identityApiRef, microsoftAuthApiRef,
  oauthRequestApiRef, oktaAuthApiRef, oneloginAuthApiRef, useApi, useApiHolder, type OpenIdConnectApi,
} from '@backstage/frontend-plugin-api';
import { KubernetesAuthProviders, kubernetesAuthProvidersApiRef } from '@backstage/plugin-kubernetes-react';
import { backendModuleCheck } from './backendModuleCheck';
import { readTokenSources, type TokenSource } from './config';
import * as errors from './errors';
import { askOnce, guardIdTokens } from './idToken';
import { createSpectroCloudAuth, spectroCloudAuthApi as optInSpectroCloudAuthApi } from './SpectroCloudAuth';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';
import { forSignedInUser, noteSignInAtLoad, type SpectroCloudAuthProviders } from './userSessions';

const deps = {
  microsoftAuthApi: microsoftAuthApiRef,
  googleAuthApi: googleAuthApiRef,
  oktaAuthApi: oktaAuthApiRef,
  oneloginAuthApi: oneloginAuthApiRef,
  gitlabAuthApi: gitlabAuthApiRef,
  spectroCloudAuthApi: spectroCloudAuthApiRef,
  configApi: configApiRef,
  discoveryApi: discoveryApiRef,
  fetchApi: fetchApiRef,
  identityApi: identityApiRef,
  oauthRequestApi: oauthRequestApiRef,
};

/** The Kubernetes plugin's own auth providers, with an OIDC provider per SpectroCloud token source beside them. */
function createAuthProviders({
  microsoftAuthApi, googleAuthApi, oktaAuthApi, oneloginAuthApi, gitlabAuthApi, spectroCloudAuthApi,
  configApi, discoveryApi, fetchApi, identityApi, oauthRequestApi,
}: { [K in keyof typeof deps]: (typeof deps)[K]['T'] }): SpectroCloudAuthProviders {
  // auth.spectrocloud for the default source, a client of its own for each
  // environment; each serves only the user whose session it is.
  const sessions = readTokenSources(configApi).map(source => {
    const auth = source.authProvider
      ? createSpectroCloudAuth({ configApi, discoveryApi, oauthRequestApi }, { id: source.authProvider, title: source.title })
      : spectroCloudAuthApi;
    return { source, auth: forSignedInUser(auth, source, identityApi), session: auth };
  });
  const withSpectroCloud = (policy: (auth: OpenIdConnectApi, source: TokenSource) => OpenIdConnectApi) =>
    new KubernetesAuthProviders({
      microsoftAuthApi,
      googleAuthApi,
      oidcProviders: {
        gitlab: gitlabAuthApi,
        google: googleAuthApi,
        microsoft: microsoftAuthApi,
        okta: oktaAuthApi,
        onelogin: oneloginAuthApi,
        ...Object.fromEntries(sessions.map(({ source, auth }) => [source.name, policy(auth, source)])),
      },
    });
  // The tab's objects request decorates its body; the proxy (pod logs) asks
  // for credentials and never runs without the token.
  const backendModuleServes = backendModuleCheck(discoveryApi, fetchApi);
  const forObjects = withSpectroCloud((auth, source) => askOnce(auth, source, backendModuleServes));
  const forProxy = withSpectroCloud(guardIdTokens);
  return {
    decorateRequestBodyForAuth: (authProvider, body) => forObjects.decorateRequestBodyForAuth(authProvider, body),
    getCredentials: authProvider => forProxy.getCredentials(authProvider),
    sessions,
  };
}

const authProvidersApi = (name: string) =>
  ApiBlueprint.make({ name, params: defineParams => defineParams({ api: kubernetesAuthProvidersApiRef, deps, factory: createAuthProviders }) });

// The first replaces the Kubernetes plugin's own (same id); apps that disable
// that id in app-config, which disables the replacement too, get the second.
const pluginAuthProvidersOverride = authProvidersApi('auth-providers');
const spectroCloudAuthProviders = authProvidersApi('spectrocloud-auth-providers');

// What the Kubernetes tab cannot say itself, checked at app start: no
// auth.spectrocloud (the tab names only the API ref), or another providers
// API (an app keeps one of several silently, and sends no SpectroCloud token).
function StartupCheck() {
  useState(noteSignInAtLoad); // rendered before the sign-in page
  const apis = useApiHolder();
  const errorApi = useApi(errorApiRef);
  const appTreeApi = useApi(appTreeApiRef);
  useEffect(() => {
    if (!apis.get(spectroCloudAuthApiRef)) errorApi.post(errors.missingSpectroCloudAuthApi());
    const providers = [...appTreeApi.getTree().tree.nodes.values()]
      .map(node => ({ id: node.spec.id, factory: node.instance?.getData(ApiBlueprint.dataRefs.factory) }))
      .filter(({ factory }) => factory?.api.id === kubernetesAuthProvidersApiRef.id);
    const others = providers.filter(({ factory }) => factory?.factory !== createAuthProviders).map(({ id }) => id);
    if (providers.length === 0) errorApi.post(errors.missingKubernetesAuthProviders());
    if (others.length) errorApi.post(errors.kubernetesAuthProvidersOverridden(others));
  }, [apis, errorApi, appTreeApi]);
  return null;
}

const startupCheck = AppRootElementBlueprint.make({ name: 'spectrocloud-auth-check', params: { element: <StartupCheck /> } });

// Who each user is on each cluster, and why a 401 or 403: loaded when opened.
const accessPage = PageBlueprint.make({
  name: 'access',
  params: {
    path: '/kubernetes-access',
    title: 'Kubernetes access',
    routeRef: createRouteRef(),
    loader: () => import('./AccessPage').then(page => <page.AccessPage />),
  },
});

/**
 * Adds SpectroCloud (Palette) OIDC ID tokens to the Kubernetes plugin, beside
 * its own Microsoft, Google and OIDC providers.
 *
 * @public
 */
export const kubernetesModuleSpectroCloudAuth = createFrontendModule({
  pluginId: 'kubernetes',
  extensions: [pluginAuthProvidersOverride, spectroCloudAuthProviders, optInSpectroCloudAuthApi, startupCheck, accessPage],
});
