import { useEffect } from 'react';
import {
  ApiBlueprint,
  appTreeApiRef,
  createFrontendModule,
  fetchApiRef,
  gitlabAuthApiRef,
  googleAuthApiRef,
  microsoftAuthApiRef,
  oktaAuthApiRef,
  oneloginAuthApiRef,
  type AuthRequestOptions,
  type ErrorApiError,
  type FrontendFeature,
} from '@backstage/frontend-plugin-api';
import {
  mockApis,
  renderInTestApp,
  renderTestApp,
  type RenderTestAppOptions,
  type TestApiPair,
  type TestAppRenderResult,
} from '@backstage/frontend-test-utils';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import { KubernetesAuthProviders, kubernetesApiRef, kubernetesAuthProvidersApiRef, useKubernetesObjects } from '@backstage/plugin-kubernetes-react';
import type { Entity } from '@backstage/catalog-model';
import type { JsonObject } from '@backstage/types';
import { act, waitFor } from '@testing-library/react';
import { unsignedJwt } from '../../dev/lib/jwt';
import spectroCloudModule from '../index';
import { spectroCloudAuthApiRef } from '../spectroCloudAuthApiRef';

// Stand-ins for what a unit test cannot reach: the identity providers behind
// the auth APIs and the Kubernetes backend behind fetch.

export const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'demo-service', annotations: { 'backstage.io/kubernetes-id': 'demo-service' } },
  spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
};

/**
 * A JWT shaped like an ID token, with the given algorithm and expiry in
 * seconds from now, issued an hour before it expires (or now, if that is
 * later); its signature is not checked by the module.
 */
export function idToken(options: { alg?: string; expiresIn?: number; lifetime?: number; payload?: object } = {}) {
  const { alg = 'RS256', expiresIn = 3600, lifetime = 3600, payload } = options;
  const now = Math.floor(Date.now() / 1000);
  const exp = now + expiresIn;
  const claims = payload ?? { sub: 'alice', iat: Math.min(now, exp - lifetime), exp };
  return unsignedJwt(claims, { alg });
}

export const SPECTROCLOUD_TOKEN = idToken({ expiresIn: 86_400 });

export const STOCK_OIDC_TOKENS = {
  gitlab: 'gitlab-id-token',
  google: 'google-id-token',
  microsoft: 'microsoft-id-token',
  okta: 'okta-id-token',
  onelogin: 'onelogin-id-token',
};

/** What the Kubernetes plugin sends for every cluster of {@link CLUSTERS}. */
export const ALL_CREDENTIALS = {
  oidc: { spectrocloud: SPECTROCLOUD_TOKEN, ...STOCK_OIDC_TOKENS },
  google: 'google-id-token-access',
  aks: 'microsoft-id-token-access',
};

export type Cluster = { name: string; authProvider: string; oidcTokenProvider?: string };

export const CLUSTERS: Cluster[] = [
  { name: 'palette-prod', authProvider: 'oidc', oidcTokenProvider: 'spectrocloud' },
  { name: 'shared', authProvider: 'serviceAccount' },
  ...Object.keys(STOCK_OIDC_TOKENS).map(provider => ({
    name: `${provider}-cluster`,
    authProvider: 'oidc',
    oidcTokenProvider: provider,
  })),
  { name: 'gke', authProvider: 'google' },
  { name: 'aks', authProvider: 'aks' },
];

const oauthApi = (token: string) => ({
  getIdToken: async () => token,
  getAccessToken: async () => `${token}-access`,
});

export function stockAuthApis() {
  return [
    [gitlabAuthApiRef, oauthApi(STOCK_OIDC_TOKENS.gitlab)],
    [googleAuthApiRef, oauthApi(STOCK_OIDC_TOKENS.google)],
    [microsoftAuthApiRef, oauthApi(STOCK_OIDC_TOKENS.microsoft)],
    [oktaAuthApiRef, oauthApi(STOCK_OIDC_TOKENS.okta)],
    [oneloginAuthApiRef, oauthApi(STOCK_OIDC_TOKENS.onelogin)],
  ] as const;
}

/** A SpectroCloud auth API whose `getIdToken` does what the test says. */
export function fakeSpectroCloudAuth(getIdToken: () => Promise<unknown> = async () => SPECTROCLOUD_TOKEN) {
  return { getIdToken: jest.fn(getIdToken) as jest.Mock<Promise<string>> };
}

/**
 * A SpectroCloud auth API for a user with no session yet. Like Backstage's
 * OAuth2 client, it answers `optional` requests with `''` and asks the user
 * otherwise; `asked` holds those questions, for the test to answer.
 */
export function spectroCloudAuthWithoutSession({ stale }: { stale?: string } = {}) {
  let session: string | undefined;
  const asked: Array<{ signIn(token?: string): void; reject(): void }> = [];
  const getIdToken = jest.fn(async (options?: AuthRequestOptions) => {
    // `stale`: the expired token a backend that cannot refresh keeps handing out.
    if (session || options?.optional) return session ?? stale ?? '';
    return new Promise<string>((resolve, reject) =>
      asked.push({
        signIn: (token = SPECTROCLOUD_TOKEN) => resolve((session = token)),
        reject: () => reject(Object.assign(new Error('Login failed, rejected by user'), { name: 'RejectedError' })),
      }),
    );
  });
  return {
    getIdToken,
    asked,
    /** A sign-in elsewhere in the app, or its end. */
    setSession: (token?: string) => (session = token),
  };
}

type Request = { url: string; method: string; headers: Record<string, string>; body?: { auth?: any } };

const TOKEN_PROVIDERS_PATH = '/api/kubernetes/spectrocloud-auth/token-providers';

/**
 * A Kubernetes backend that lists `clusters` and records what it receives;
 * with `backendModule`, it runs the backend module for `spectrocloud`.
 */
export function fakeKubernetesBackend(clusters: Cluster[] = CLUSTERS, backendModule: boolean | string[] = false) {
  const requests: Request[] = [];
  // Replaces the backend module's answer to the token-providers check while set.
  let tokenProvidersAnswer: ((init?: RequestInit) => Promise<Response>) | undefined;
  // Answers the proxy (pod logs, the access page's reviews) while set.
  let proxyAnswer: ((request: Request & { cluster: string; path: string }) => Response) | undefined;
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const headers = Object.fromEntries(
      Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
    );
    const request = { url, method: init?.method ?? 'GET', headers, body: init?.body ? JSON.parse(String(init.body)) : undefined };
    requests.push(request);
    const [, proxyPath] = url.split('/api/kubernetes/proxy');
    if (proxyPath && proxyAnswer) return proxyAnswer({ ...request, cluster: headers['backstage-kubernetes-cluster'], path: proxyPath });
    if (url.endsWith(TOKEN_PROVIDERS_PATH)) {
      if (tokenProvidersAnswer) return tokenProvidersAnswer(init);
      if (!backendModule) return new Response('Not found', { status: 404 });
      return Response.json({ tokenProviders: backendModule === true ? ['spectrocloud'] : backendModule });
    }
    return Response.json({ items: url.endsWith('/api/kubernetes/clusters') ? clusters : [] });
  };
  return {
    fetchApi: { fetch },
    requests,
    objectsRequests: () => requests.filter(r => r.method === 'POST'),
    proxyRequests: () => requests.filter(r => r.url.includes('/proxy/')),
    backendModuleChecks: () => requests.filter(r => r.url.endsWith(TOKEN_PROVIDERS_PATH)),
    answerTokenProviders: (answer: typeof tokenProvidersAnswer) => (tokenProvidersAnswer = answer),
    answerProxy: (answer: typeof proxyAnswer) => (proxyAnswer = answer),
  };
}

export const baseConfig: JsonObject = {
  app: { baseUrl: 'http://localhost:3000', title: 'Test app' },
  backend: { baseUrl: 'http://localhost:7007' },
};

// A test's app-config on top of baseConfig; its `app` keys beside the base's.
const withBase = (config: JsonObject = {}): JsonObject => ({ ...baseConfig, ...config, app: { ...(baseConfig.app as JsonObject), ...(config.app as JsonObject) } });

type SpectroCloudAuthFake = { getIdToken: jest.Mock };

type AppOptions = {
  config?: JsonObject;
  /** The signed-in Backstage user's entity ref. */
  user?: string;
  /** `null`: no `auth.spectrocloud` in the app. */
  spectroCloudAuth?: SpectroCloudAuthFake | null;
  features?: FrontendFeature[];
  clusters?: Cluster[];
  /** The Kubernetes backend runs the backend module, for `spectrocloud` or the token providers listed. */
  backendModule?: boolean | string[];
};

function appApis(options: AppOptions, backend: ReturnType<typeof fakeKubernetesBackend>) {
  const errorApi = mockApis.error({ collect: true });
  const spectroCloudAuth = options.spectroCloudAuth === undefined ? fakeSpectroCloudAuth() : options.spectroCloudAuth;
  const apis: Array<TestApiPair<unknown>> = [
    [fetchApiRef, backend.fetchApi],
    errorApi,
    ...(options.user ? [mockApis.identity({ userEntityRef: options.user })] : []),
    ...stockAuthApis(),
    ...(spectroCloudAuth ? [[spectroCloudAuthApiRef, spectroCloudAuth] as const] : []),
  ];
  // What the tests read of the errors the app posted.
  const postedErrors: { getErrors(): Array<{ error: ErrorApiError }> } = errorApi;
  return { apis, errorApi: postedErrors, spectroCloudAuth };
}

type ObjectsResult = ReturnType<typeof useKubernetesObjects>;

function KubernetesObjectsProbe(props: { onResult(result: ObjectsResult): void }) {
  const result = useKubernetesObjects(entity, 60_000);
  const { onResult } = props;
  useEffect(() => {
    if (!result.loading) onResult(result);
  }, [result, onResult]);
  return <div>{result.loading ? 'loading' : result.error ?? 'loaded'}</div>;
}

/**
 * Boots a real app with the real Kubernetes plugin and (unless told
 * otherwise) this module, and renders what the Kubernetes tab uses to load
 * the objects of `entity`.
 */
export function renderKubernetesObjects(options: AppOptions = {}) {
  const backend = fakeKubernetesBackend(options.clusters, options.backendModule);
  const { apis, errorApi, spectroCloudAuth } = appApis(options, backend);
  let result: ObjectsResult | undefined;
  const rendered = renderInTestApp(<KubernetesObjectsProbe onResult={r => (result = r)} />, {
    features: options.features ?? [kubernetesPlugin, spectroCloudModule],
    config: withBase(options.config),
    apis,
  });
  return { rendered, backend, errorApi, spectroCloudAuth, getResult: () => result };
}

/** Boots a real app and returns the errors posted once it has rendered, with the app's start-up effects run. */
export async function errorsAtAppStart(options: AppOptions = {}) {
  const { apis, errorApi } = appApis(options, fakeKubernetesBackend(options.clusters));
  const rendered = renderInTestApp(<div>app is up</div>, {
    features: options.features ?? [kubernetesPlugin, spectroCloudModule],
    config: withBase(options.config),
    apis,
  });
  await rendered.findByText('app is up');
  return errorApi.getErrors().map(({ error }) => error);
}

/** Like {@link renderKubernetesObjects}, and waits until the objects load or fail. */
export async function loadKubernetesObjects(options: AppOptions = {}) {
  const { getResult, ...rest } = renderKubernetesObjects(options);
  await waitFor(() => expect(getResult()).toBeDefined());
  return { result: getResult()!, ...rest };
}

/** `renderTestApp`, waiting for the app's lazily loaded parts inside `act`, as React asks of tests. */
export async function startTestApp(options: RenderTestAppOptions): Promise<TestAppRenderResult> {
  let app: TestAppRenderResult | undefined;
  await act(async () => {
    app = renderTestApp(options);
  });
  return app!;
}

/**
 * Boots a real app with the Kubernetes plugin and this module, and returns
 * the Kubernetes API that pod logs use (the proxy path) and the auth
 * providers API that the Kubernetes tab decorates its objects request with.
 */
export async function startKubernetesApis(options: AppOptions = {}) {
  const backend = fakeKubernetesBackend(options.clusters, options.backendModule);
  const { apis } = appApis(options, backend);
  const app = await startTestApp({
    features: [kubernetesPlugin, spectroCloudModule],
    config: withBase(options.config),
    apis,
  });
  // Made inside act: making an OAuth2 client registers it with the sign-in dialog, which renders.
  const made = await act(async () => ({ kubernetesApi: app.apis.get(kubernetesApiRef)!, authProviders: app.apis.get(kubernetesAuthProvidersApiRef)! }));
  return { ...made, backend, apis: app.apis };
}

/** Boots a real app with the Kubernetes plugin and this module at the Kubernetes access page. */
export async function openAccessPage(options: AppOptions & { proxy?: Parameters<ReturnType<typeof fakeKubernetesBackend>['answerProxy']>[0]; path?: string } = {}) {
  const backend = fakeKubernetesBackend(options.clusters, options.backendModule);
  backend.answerProxy(options.proxy);
  const { apis, spectroCloudAuth } = appApis(options, backend);
  const app = await startTestApp({
    features: options.features ?? [kubernetesPlugin, spectroCloudModule],
    config: withBase(options.config),
    apis,
    initialRouteEntries: [options.path ?? '/kubernetes-access'],
  });
  return { app, backend, spectroCloudAuth };
}

/** The access page's extension as the app built it; undefined when app-config turned it off. */
export const builtAccessPage = (app: TestAppRenderResult) => app.apis.get(appTreeApiRef)!.getTree().tree.nodes.get('page:kubernetes/access')?.instance;

/** Another module's providers API for the Kubernetes plugin: the stock one, as extension `name`. */
export const otherProvidersModule = (name: string) =>
  createFrontendModule({
    pluginId: 'kubernetes',
    extensions: [
      ApiBlueprint.make({
        name,
        params: defineParams =>
          defineParams({
            api: kubernetesAuthProvidersApiRef,
            deps: { microsoftAuthApi: microsoftAuthApiRef, googleAuthApi: googleAuthApiRef },
            factory: deps => new KubernetesAuthProviders(deps),
          }),
      }),
    ],
  });
