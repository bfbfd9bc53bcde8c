import { useEffect } from 'react';
import {
  ApiBlueprint, AppRootElementBlueprint, appTreeApiRef, configApiRef, createFrontendModule,
  discoveryApiRef, errorApiRef, fetchApiRef, gitlabAuthApiRef, googleAuthApiRef, microsoftAuthApiRef,
  oauthRequestApiRef, oktaAuthApiRef, oneloginAuthApiRef, useApi, useApiHolder,
  type DiscoveryApi, type FetchApi, type OpenIdConnectApi,
} from '@backstage/frontend-plugin-api';
import {
  KubernetesAuthProviders, kubernetesAuthProvidersApiRef, type KubernetesAuthProvidersApi,
} from '@backstage/plugin-kubernetes-react';
import { readTokenSources, type TokenSource } from './config';
import * as errors from './errors';
import { idTokenProblem, SEND_MARGIN } from './idToken';
import { createSpectroCloudAuth, spectroCloudAuthApi } from './SpectroCloudAuth';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';

// A usable ID token, or an error that names the cause and the fix, so that
// no request goes to a cluster without a token as if it had one.
function usableIdToken(token: unknown, source: TokenSource): string {
  if (typeof token !== 'string' || !token.trim()) throw errors.idTokenMissing(source);
  const problem = idTokenProblem(token, SEND_MARGIN);
  if (problem && 'alg' in problem) throw errors.notAnIdToken(source, problem.alg);
  if (problem) throw errors.sessionExpired(source, problem.expiresAt);
  return token;
}

/**
 * The SpectroCloud auth API as the proxy behind pod logs sees it: asks the
 * user to sign in when they have no session, and gives a usable ID token or
 * an error.
 */
export function guardIdTokens(auth: OpenIdConnectApi, source: TokenSource): OpenIdConnectApi {
  return {
    async getIdToken(options) {
      let token: unknown;
      try {
        token = await auth.getIdToken(options);
      } catch (error) {
        throw errors.signInRequired(source, error);
      }
      return usableIdToken(token, source);
    },
  };
}

/**
 * The SpectroCloud auth API as the Kubernetes tab's objects request sees it.
 * That one request carries every cluster's credentials and repeats every 10
 * seconds, so a user without a session is asked once, without waiting: asked
 * on each request, they would get the sign-in dialog back every 10 seconds,
 * and every cluster would wait for it. Where the backend module shows the
 * other clusters, the request goes on without the token; elsewhere it fails
 * saying so. Asked again once the user has had a session.
 */
export function askOnce(auth: OpenIdConnectApi, source: TokenSource, backendModuleServes: (provider: string) => Promise<boolean>): OpenIdConnectApi {
  let asked = false;
  return {
    async getIdToken() {
      const token = await auth.getIdToken({ optional: true }).catch(() => '');
      if (token) {
        asked = false;
        return usableIdToken(token, source);
      }
      if (!asked) {
        asked = true;
        // A rejected or closed sign-in is the user's answer, not an error.
        auth.getIdToken().catch(() => {});
      }
      if (await backendModuleServes(source.name)) return '';
      throw errors.signInOrAddBackendModule(source);
    },
  };
}

/** Whether the Kubernetes backend runs the backend module for `provider`; asked once. */
function backendModuleCheck(discoveryApi: DiscoveryApi, fetchApi: FetchApi) {
  let tokenProviders: Promise<unknown[]> | undefined;
  return async (provider: string) => {
    tokenProviders ??= discoveryApi
      .getBaseUrl('kubernetes')
      .then(url => fetchApi.fetch(`${url}/spectrocloud-auth/token-providers`))
      .then(async response => (response.ok ? (await response.json()).tokenProviders : []));
    try {
      return (await tokenProviders).includes(provider);
    } catch {
      tokenProviders = undefined; // unreachable or unreadable: ask again next time
      return false;
    }
  };
}

const authProvidersDeps = {
  configApi: configApiRef,
  discoveryApi: discoveryApiRef,
  fetchApi: fetchApiRef,
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
  // each environment, so that their sessions never touch one another.
  const sources = readTokenSources(deps.configApi).map(source => ({
    source,
    auth: source.authProvider
      ? createSpectroCloudAuth(
          { configApi: deps.configApi, discoveryApi: deps.discoveryApi, oauthRequestApi: deps.oauthRequestApi },
          { id: source.authProvider, title: source.title },
        )
      : deps.spectroCloudAuthApi,
  }));
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
