import { ApiBlueprint, createFrontendPlugin, type FrontendFeature } from '@backstage/frontend-plugin-api';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import type { JsonObject } from '@backstage/types';
import { act, waitFor } from '@testing-library/react';
import spectroCloudModule from './index';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';
import {
  ALL_CREDENTIALS,
  baseConfig,
  CLUSTERS,
  errorsAtAppStart,
  fakeSpectroCloudAuth,
  idToken,
  loadKubernetesObjects,
  otherProvidersModule,
  renderKubernetesObjects,
  SPECTROCLOUD_TOKEN,
  spectroCloudAuthWithoutSession,
  STOCK_OIDC_TOKENS,
  startKubernetesApis,
  startTestApp,
} from './__testUtils__/testApp';

const STOCK = 'api:kubernetes/auth-providers';
const OWN = 'api:kubernetes/spectrocloud-auth-providers';
const MODULE_EXTENSIONS = [STOCK, OWN, 'api:kubernetes/spectrocloud-auth', 'app-root-element:kubernetes/spectrocloud-auth-check'];

const extensions = (...entries: Array<string | JsonObject>) => ({ app: { extensions: entries } });

// Every way an app-config may name the extensions involved. Naming an
// extension moves it to the front of the app's list, which decides between
// two providers of one API; the module must win in each case.
const appConfigs: Array<[string, JsonObject]> = [
  ['nothing in app-config', {}],
  ['the stock auth-providers extension disabled', extensions({ [STOCK]: false })],
  ...MODULE_EXTENSIONS.flatMap((id): Array<[string, JsonObject]> => [
    [`${id} named as a string`, extensions(id)],
    [`${id} named as true`, extensions({ [id]: true })],
    [`${id} named as an object`, extensions({ [id]: { config: {} } })],
  ]),
  ["the module's id, then the stock id", extensions(OWN, STOCK)],
  ["the stock id, then the module's id", extensions(STOCK, OWN)],
  ["the module's id, then the stock id, both true", extensions({ [OWN]: true }, { [STOCK]: true })],
  ["the stock id, then the module's id, both true", extensions({ [STOCK]: true }, { [OWN]: true })],
  ["the module's own id disabled", extensions({ [OWN]: false })],
];

describe.each(appConfigs)('with %s', (_, config) => {
  it("sends the SpectroCloud ID token and every stock provider's credentials, with no app error", async () => {
    const { result, backend, errorApi } = await loadKubernetesObjects({ config });

    expect(result.error).toBeUndefined();
    expect(backend.objectsRequests()[0].body?.auth).toEqual(ALL_CREDENTIALS);
    expect(errorApi.getErrors()).toEqual([]);
  });
});

const spectroCloud = CLUSTERS.filter(c => c.oidcTokenProvider === 'spectrocloud');
const others = CLUSTERS.filter(c => c.oidcTokenProvider !== 'spectrocloud');

describe.each([
  ['first', [...spectroCloud, ...others]],
  ['in the middle', [...others.slice(0, 3), ...spectroCloud, ...others.slice(3)]],
  ['last', [...others, ...spectroCloud]],
])('with the SpectroCloud cluster listed %s', (_, clusters) => {
  it('keeps the credentials of the clusters before and after it', async () => {
    const { result, backend } = await loadKubernetesObjects({ clusters });

    expect(result.error).toBeUndefined();
    expect(backend.objectsRequests()[0].body?.auth).toEqual(ALL_CREDENTIALS);
  });
});

describe('pod logs (the proxy path)', () => {
  it.each([
    ['nothing in app-config', {}],
    ['the stock auth-providers extension disabled', extensions({ [STOCK]: false })],
  ])('with %s, send the token only to SpectroCloud clusters, in their own header', async (_, config) => {
    const { kubernetesApi, backend } = await startKubernetesApis({ config });

    for (const cluster of CLUSTERS) {
      await kubernetesApi.proxy({ clusterName: cluster.name, path: '/api/v1/namespaces/default/pods' });
    }

    const carryingToken = backend
      .proxyRequests()
      .filter(r => Object.values(r.headers).includes(SPECTROCLOUD_TOKEN))
      .map(r => r.headers['backstage-kubernetes-cluster']);
    expect(carryingToken).toEqual(['palette-prod']);
    const header = (cluster: string, name: string) =>
      backend.proxyRequests().find(r => r.headers['backstage-kubernetes-cluster'] === cluster)?.headers[name];
    expect(header('palette-prod', 'backstage-kubernetes-authorization-oidc-spectrocloud')).toBe(SPECTROCLOUD_TOKEN);
    expect(header('okta-cluster', 'backstage-kubernetes-authorization-oidc-okta')).toBe(STOCK_OIDC_TOKENS.okta);
  });
});

describe('without a usable SpectroCloud ID token', () => {
  const rejected = () => fakeSpectroCloudAuth(async () => Promise.reject(Object.assign(new Error('rejected'), { name: 'RejectedError' })));
  const expired = () => fakeSpectroCloudAuth(async () => idToken({ expiresIn: -60 }));

  it.each([
    ['a rejected sign-in', 'SpectroCloudSignInRequiredError', rejected],
    ['an expired token', 'SpectroCloudSessionExpiredError', expired],
  ])('with %s, the Kubernetes tab shows %s and nothing is sent', async (_, name, spectroCloudAuth) => {
    const { result, backend } = await loadKubernetesObjects({ spectroCloudAuth: spectroCloudAuth() });

    expect(result.error).toContain(name);
    expect(backend.objectsRequests()).toEqual([]);
  });

  it.each([
    ['a rejected sign-in', 'SpectroCloudSignInRequiredError', rejected],
    ['an expired token', 'SpectroCloudSessionExpiredError', expired],
  ])('with %s, pod logs fail with %s and nothing is sent', async (_, name, spectroCloudAuth) => {
    const { kubernetesApi, backend } = await startKubernetesApis({ spectroCloudAuth: spectroCloudAuth() });

    await expect(kubernetesApi.proxy({ clusterName: 'palette-prod', path: '/api/v1/namespaces/default/pods/p/log' })).rejects.toThrow(
      expect.objectContaining({ name }),
    );
    expect(backend.proxyRequests()).toEqual([]);
  });
});

// The Kubernetes tab decorates one objects request with every cluster's
// credentials, again every 10 seconds.
async function objectsRequestAuth(authProviders: Awaited<ReturnType<typeof startKubernetesApis>>['authProviders'], clusters = CLUSTERS) {
  let body = {};
  for (const cluster of clusters) {
    const provider = cluster.oidcTokenProvider ? `oidc.${cluster.oidcTokenProvider}` : cluster.authProvider;
    body = await authProviders.decorateRequestBodyForAuth(provider, body as never);
  }
  return (body as { auth: typeof ALL_CREDENTIALS }).auth;
}

describe('a user without a SpectroCloud session', () => {
  const withoutSpectroCloud = { ...ALL_CREDENTIALS, oidc: { ...ALL_CREDENTIALS.oidc, spectrocloud: '' } };

  it('is asked once, not on every objects request; with the backend module, each request goes on without the token at once', async () => {
    const spectroCloudAuth = spectroCloudAuthWithoutSession();
    const { authProviders, backend } = await startKubernetesApis({ spectroCloudAuth, backendModule: true });

    await expect(objectsRequestAuth(authProviders)).resolves.toEqual(withoutSpectroCloud);
    expect(spectroCloudAuth.asked).toHaveLength(1);
    spectroCloudAuth.asked[0].reject();
    for (let poll = 0; poll < 6; poll++) {
      await expect(objectsRequestAuth(authProviders)).resolves.toEqual(withoutSpectroCloud);
    }
    expect(spectroCloudAuth.asked).toHaveLength(1);
    expect(backend.backendModuleChecks()).toHaveLength(1);
  });

  it('gets the token on the next request after signing in, from the question or elsewhere, and is asked again once after it ends', async () => {
    const spectroCloudAuth = spectroCloudAuthWithoutSession();
    const { authProviders } = await startKubernetesApis({ spectroCloudAuth, backendModule: true });

    await objectsRequestAuth(authProviders);
    spectroCloudAuth.asked[0].signIn();
    await expect(objectsRequestAuth(authProviders)).resolves.toEqual(ALL_CREDENTIALS);

    spectroCloudAuth.setSession(undefined);
    await objectsRequestAuth(authProviders);
    await objectsRequestAuth(authProviders);
    expect(spectroCloudAuth.asked).toHaveLength(2);
    spectroCloudAuth.asked[1].reject();
    spectroCloudAuth.setSession(SPECTROCLOUD_TOKEN);
    await expect(objectsRequestAuth(authProviders)).resolves.toEqual(ALL_CREDENTIALS);
  });

  it('without the backend module, is asked once, and the Kubernetes tab names the backend module and sends nothing', async () => {
    const spectroCloudAuth = spectroCloudAuthWithoutSession();
    const { result, backend } = await loadKubernetesObjects({ spectroCloudAuth });

    expect(result.error).toContain('SpectroCloudSignInRequiredError');
    expect(result.error).toContain('backstage-plugin-kubernetes-backend-module-spectrocloud-auth');
    expect(spectroCloudAuth.asked).toHaveLength(1);
    expect(backend.objectsRequests()).toEqual([]);
  });

  it('is asked by pod logs each time, which never run without the token', async () => {
    const spectroCloudAuth = spectroCloudAuthWithoutSession();
    const { kubernetesApi, backend } = await startKubernetesApis({ spectroCloudAuth, backendModule: true });
    const podLogs = () => kubernetesApi.proxy({ clusterName: 'palette-prod', path: '/api/v1/namespaces/default/pods/p/log' });

    const rejected = podLogs();
    await waitFor(() => expect(spectroCloudAuth.asked).toHaveLength(1));
    spectroCloudAuth.asked[0].reject();
    await expect(rejected).rejects.toThrow(expect.objectContaining({ name: 'SpectroCloudSignInRequiredError' }));
    expect(backend.proxyRequests()).toEqual([]);

    const signedIn = podLogs();
    await waitFor(() => expect(spectroCloudAuth.asked).toHaveLength(2));
    spectroCloudAuth.asked[1].signIn();
    await signedIn;
    expect(backend.proxyRequests().map(r => r.headers['backstage-kubernetes-authorization-oidc-spectrocloud'])).toEqual([SPECTROCLOUD_TOKEN]);
  });
});

describe('an ID token that expired and was not renewed', () => {
  it.each([
    ['with the backend module', true],
    ['without it', false],
  ])('%s, asks the user once to sign in again, and the next request carries the new token', async (_, backendModule) => {
    const stale = idToken({ expiresIn: -60 });
    const spectroCloudAuth = spectroCloudAuthWithoutSession({ stale });
    const { authProviders } = await startKubernetesApis({ spectroCloudAuth, backendModule });

    // The backend module refuses the stale token for its clusters, saying why; without it, the tab shows the expiry.
    const polls: string[] = [];
    for (let poll = 0; poll < 3; poll++) {
      polls.push(await objectsRequestAuth(authProviders).then(auth => auth.oidc.spectrocloud, (error: Error) => error.name));
    }
    expect(polls).toEqual(Array(3).fill(backendModule ? stale : 'SpectroCloudSessionExpiredError'));
    expect(spectroCloudAuth.asked).toHaveLength(1);
    spectroCloudAuth.asked[0].signIn();
    await expect(objectsRequestAuth(authProviders)).resolves.toEqual(ALL_CREDENTIALS);
  });
});

describe('where the backend module runs', () => {
  it.each([
    ['expired', idToken({ expiresIn: -60 })],
    ['HS256-signed', idToken({ alg: 'HS256' })],
  ])('an %s token goes to the backend, which refuses it for its own clusters, and the other clusters keep their credentials', async (_, token) => {
    const { authProviders } = await startKubernetesApis({ spectroCloudAuth: fakeSpectroCloudAuth(async () => token), backendModule: true });

    await expect(objectsRequestAuth(authProviders)).resolves.toEqual({ ...ALL_CREDENTIALS, oidc: { ...ALL_CREDENTIALS.oidc, spectrocloud: token } });
  });

  it('pod logs still refuse an unusable token, and send nothing', async () => {
    const { kubernetesApi, backend } = await startKubernetesApis({
      spectroCloudAuth: fakeSpectroCloudAuth(async () => idToken({ expiresIn: -60 })),
      backendModule: true,
    });

    await expect(kubernetesApi.proxy({ clusterName: 'palette-prod', path: '/api/v1/namespaces/default/pods/p/log' })).rejects.toThrow(
      expect.objectContaining({ name: 'SpectroCloudSessionExpiredError' }),
    );
    expect(backend.proxyRequests()).toEqual([]);
  });
});

describe("the check whether the backend module runs", () => {
  const withoutSpectroCloud = { ...ALL_CREDENTIALS, oidc: { ...ALL_CREDENTIALS.oidc, spectrocloud: '' } };

  it.each([
    ['a 503 from a backend that is restarting', async () => new Response('unavailable', { status: 503 }), 'HTTP 503'],
    ['no answer', (init?: RequestInit) => new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason))), 'no answer in 5 s'],
  ])('after %s, costs one request and says so, and is asked again on the next', async (_, answer, cause) => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
    try {
      const { authProviders, backend } = await startKubernetesApis({ spectroCloudAuth: spectroCloudAuthWithoutSession(), backendModule: true });
      backend.answerTokenProviders(answer);
      const first = objectsRequestAuth(authProviders).catch(error => error);
      await act(() => jest.advanceTimersByTimeAsync(6_000));
      const error = await first;
      expect(error.name).toBe('SpectroCloudBackendCheckError');
      expect(error.message).toContain(cause);
      expect(error.message).not.toContain('add backstage-plugin-kubernetes-backend-module-spectrocloud-auth');

      backend.answerTokenProviders(undefined);
      await expect(objectsRequestAuth(authProviders)).resolves.toEqual(withoutSpectroCloud);
      expect(backend.backendModuleChecks()).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('names a backend module that serves other token providers than the app, rather than a missing one', async () => {
    const { result } = await loadKubernetesObjects({ spectroCloudAuth: spectroCloudAuthWithoutSession(), backendModule: ['palette'] });

    expect(result.error).toContain('SpectroCloudConfigMismatchError');
    expect(result.error).toContain("serves oidcTokenProvider 'palette', not 'spectrocloud'");
  });

  it("passes on the backend module's word that another module's oidc strategy overrules it", async () => {
    const conflict = "Another module of the Kubernetes backend registered the auth strategy 'oidc' after backstage-plugin-kubernetes-backend-module-spectrocloud-auth. Keep one of the two modules. See SpectroCloudOidcStrategyConflictError in the README.";
    const { authProviders, backend } = await startKubernetesApis({ spectroCloudAuth: spectroCloudAuthWithoutSession(), backendModule: true });
    backend.answerTokenProviders(async () => Response.json({ tokenProviders: [], conflict }));

    const error = await objectsRequestAuth(authProviders).catch(e => e);
    expect(error.name).toBe('SpectroCloudOidcStrategyConflictError');
    expect(error.message).toBe(conflict);
  });

  it('asks a backend without the module again on the next request: it may be mid-deploy', async () => {
    const { authProviders, backend } = await startKubernetesApis({ spectroCloudAuth: spectroCloudAuthWithoutSession() });
    await objectsRequestAuth(authProviders).catch(() => {});
    backend.answerTokenProviders(async () => Response.json({ tokenProviders: ['spectrocloud'] }));

    await expect(objectsRequestAuth(authProviders)).resolves.toEqual(withoutSpectroCloud);
  });
});

describe('several SpectroCloud environments', () => {
  const EU_TOKEN = idToken({ payload: { sub: 'alice', iss: 'https://eu.palette.example', exp: Math.floor(Date.now() / 1000) + 3600 } });
  const config = {
    kubernetes: {
      spectroCloudAuth: { environments: [{ tokenProviderName: 'palette-eu', authProvider: 'spectrocloud-eu', title: 'SpectroCloud EU' }] },
    },
  };
  const clusters = [...CLUSTERS, { name: 'palette-eu-prod', authProvider: 'oidc', oidcTokenProvider: 'palette-eu' }];

  // The backend auth provider spectrocloud-eu, which the environment's own
  // OAuth2 client asks through global fetch: a session with EU_TOKEN.
  const euAuthBackend = () =>
    jest.spyOn(globalThis, 'fetch').mockImplementation(async input => {
      if (String(input).includes('/api/auth/spectrocloud-eu/logout')) return new Response(null, { status: 200 });
      if (!String(input).includes('/api/auth/spectrocloud-eu/refresh')) return new Response(null, { status: 404 });
      return Response.json({ providerInfo: { idToken: EU_TOKEN, accessToken: 'access', scope: 'openid profile email', expiresInSeconds: 3600 }, profile: {} });
    });
  afterEach(() => jest.restoreAllMocks());

  it("sends each environment's clusters the token of its own sign-in, and keeps every other provider", async () => {
    euAuthBackend();
    const { authProviders } = await startKubernetesApis({ config, clusters });

    const auth = await act(() => objectsRequestAuth(authProviders, clusters));
    expect(auth).toEqual({ ...ALL_CREDENTIALS, oidc: { ...ALL_CREDENTIALS.oidc, 'palette-eu': EU_TOKEN } });
  });

  it("gives pod logs of an environment's cluster only that environment's token", async () => {
    euAuthBackend();
    const { kubernetesApi, backend } = await startKubernetesApis({ config, clusters });

    await act(async () => {
      await kubernetesApi.proxy({ clusterName: 'palette-eu-prod', path: '/api/v1/namespaces/default/pods/p/log' });
      await kubernetesApi.proxy({ clusterName: 'palette-prod', path: '/api/v1/namespaces/default/pods/p/log' });
    });
    const tokens = backend.proxyRequests().map(r => [r.headers['backstage-kubernetes-cluster'], Object.values(r.headers).filter(v => v === EU_TOKEN || v === SPECTROCLOUD_TOKEN)]);
    expect(tokens).toEqual([
      ['palette-eu-prod', [EU_TOKEN]],
      ['palette-prod', [SPECTROCLOUD_TOKEN]],
    ]);
  });

  it('shows an environment the module cannot serve where the Kubernetes tab renders, and sends nothing', async () => {
    // The API factory throws during render, which React reports on the console.
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { rendered, backend } = renderKubernetesObjects({
        config: { kubernetes: { spectroCloudAuth: { environments: [{ tokenProviderName: 'palette-eu' }] } } },
      });
      expect((await rendered.findAllByText(/SpectroCloudEnvironmentError.*it has no authProvider/)).length).toBeGreaterThan(0);
      expect(backend.requests).toHaveLength(0);
    } finally {
      consoleError.mockRestore();
    }
  });
});

describe('kubernetes.spectroCloudAuth.tokenProviderName', () => {
  it('routes the SpectroCloud token to clusters with that oidcTokenProvider', async () => {
    const { result, backend } = await loadKubernetesObjects({
      config: { kubernetes: { spectroCloudAuth: { tokenProviderName: 'palette' } } },
      clusters: [
        { name: 'palette-prod', authProvider: 'oidc', oidcTokenProvider: 'palette' },
        { name: 'shared', authProvider: 'serviceAccount' },
      ],
    });

    expect(result.error).toBeUndefined();
    expect(backend.objectsRequests()[0].body?.auth).toEqual({ oidc: { palette: SPECTROCLOUD_TOKEN } });
  });

  it('outside the rule, shows its error where the Kubernetes tab renders, and sends nothing', async () => {
    // The API factory throws during render, which React reports on the console.
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { rendered, backend } = renderKubernetesObjects({
        config: { kubernetes: { spectroCloudAuth: { tokenProviderName: 'Palette' } } },
      });

      expect(await rendered.findByText(/SpectroCloudTokenProviderNameError.*Use 'palette'/)).toBeInTheDocument();
      expect(backend.requests).toHaveLength(0);
    } finally {
      consoleError.mockRestore();
    }
  });
});

// Another package's module that brings its own Kubernetes auth providers.

describe('at app start', () => {
  it('reports nothing when the app has auth.spectrocloud and this module\'s providers', async () => {
    expect(await errorsAtAppStart({})).toEqual([]);
  });

  it('reports a missing auth.spectrocloud, naming the fix', async () => {
    const errors = await errorsAtAppStart({ spectroCloudAuth: null });
    expect(errors.map(e => e.name)).toEqual(['MissingSpectroCloudAuthApiError']);
    expect(errors[0].message).toContain('Enable api:kubernetes/spectrocloud-auth,');
  });

  it('without auth.spectrocloud, the Kubernetes tab fails naming it and sends nothing', async () => {
    // The API resolver throws during render, which React reports on the console.
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { rendered, backend } = renderKubernetesObjects({ spectroCloudAuth: null });
      expect((await rendered.findAllByText(/apiRef\{auth\.spectrocloud\}/)).length).toBeGreaterThan(0);
      expect(backend.requests).toHaveLength(0);
    } finally {
      consoleError.mockRestore();
    }
  });

  it.each([
    ['with an id of its own', 'custom-auth-providers', {}],
    ['that took over api:kubernetes/auth-providers', 'auth-providers', extensions({ [OWN]: false })],
  ])("reports another module's providers API %s, with the app-config line that disables it", async (_, name, config) => {
    const errors = await errorsAtAppStart({
      features: [kubernetesPlugin, spectroCloudModule, otherProvidersModule(name)],
      config,
    });

    expect(errors.map(e => e.name)).toEqual(['KubernetesAuthProvidersOverriddenError']);
    expect(errors[0].message).toContain(`[{ api:kubernetes/${name}: false }]`);
  });

  it("reports an app-config that disables both of this module's providers APIs", async () => {
    const errors = await errorsAtAppStart({ config: extensions({ [STOCK]: false }, { [OWN]: false }) });
    expect(errors.map(e => e.name)).toEqual(['MissingKubernetesAuthProvidersError']);
  });
});

const enableOptIn = extensions({ 'api:kubernetes/spectrocloud-auth': true });

const notUsed = {
  getProfile: async () => undefined,
  getBackstageIdentity: async () => undefined,
  signIn: async () => {},
  signOut: async () => {},
  sessionState$: () => {
    throw new Error('not used');
  },
};

// Stands in for the SpectroCloud auth frontend plugin, which registers
// auth.spectrocloud from a plugin of its own.
const spectroCloudAuthPlugin = createFrontendPlugin({
  pluginId: 'spectrocloud-auth',
  extensions: [
    ApiBlueprint.make({
      params: defineParams =>
        defineParams({ api: spectroCloudAuthApiRef, deps: {}, factory: () => ({ ...fakeSpectroCloudAuth(), ...notUsed }) }),
    }),
  ],
});

describe('the opt-in auth.spectrocloud', () => {
  // The backend's refresh endpoint is not running in a unit test: global
  // fetch answers for it.
  let refresh: jest.SpyInstance;
  beforeEach(() => {
    refresh = jest.spyOn(globalThis, 'fetch').mockImplementation(
      async () =>
        new Response(
          JSON.stringify({
            providerInfo: { idToken: SPECTROCLOUD_TOKEN, accessToken: 'access', scope: 'openid profile email', expiresInSeconds: 3600 },
            profile: { email: 'alice@example.com' },
          }),
          { status: 200, headers: { 'Content-Type': 'application/json' } },
        ),
    );
  });
  afterEach(() => refresh.mockRestore());

  const start = (config: JsonObject, features: FrontendFeature[] = [kubernetesPlugin, spectroCloudModule]) =>
    startTestApp({ features, config: { ...baseConfig, ...config } });

  it('is off by default', async () => {
    const { apis } = await start({});
    expect(apis.get(spectroCloudAuthApiRef)).toBeUndefined();
  });

  it.each([
    ['development', {}],
    ['production', { auth: { environment: 'production' } }],
  ])('turns on with one app-config line and asks the spectrocloud backend provider, environment %s', async (env, config) => {
    const { apis } = await start({ ...enableOptIn, ...config });

    await expect(apis.get(spectroCloudAuthApiRef)!.getIdToken()).resolves.toBe(SPECTROCLOUD_TOKEN);
    const url = new URL(String(refresh.mock.calls[0][0]));
    expect(url.origin + url.pathname).toBe('http://localhost:7007/api/auth/spectrocloud/refresh');
    expect(url.searchParams.get('scope')).toBe('openid profile email');
    expect(url.searchParams.get('env')).toBe(env);
  });

  it('stays out of the way of a SpectroCloud auth plugin', async () => {
    const { apis } = await start({}, [kubernetesPlugin, spectroCloudModule, spectroCloudAuthPlugin]);
    await expect(apis.get(spectroCloudAuthApiRef)!.getIdToken()).resolves.toBe(SPECTROCLOUD_TOKEN);
    expect(refresh).not.toHaveBeenCalled();
  });
});
