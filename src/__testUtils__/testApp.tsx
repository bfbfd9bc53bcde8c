import { useEffect } from 'react';
import {
  errorApiRef,
  fetchApiRef,
  gitlabAuthApiRef,
  googleAuthApiRef,
  microsoftAuthApiRef,
  oktaAuthApiRef,
  oneloginAuthApiRef,
  type ErrorApi,
  type FrontendFeature,
} from '@backstage/frontend-plugin-api';
import {
  mockApis,
  renderInTestApp,
  renderTestApp,
  type RenderTestAppOptions,
  type TestAppRenderResult,
} from '@backstage/frontend-test-utils';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import { kubernetesApiRef, useKubernetesObjects } from '@backstage/plugin-kubernetes-react';
import type { Entity } from '@backstage/catalog-model';
import type { JsonObject } from '@backstage/types';
import { act, waitFor } from '@testing-library/react';
import spectroCloudModule from '../index';
import { spectroCloudAuthApiRef } from '../spectroCloudAuthApiRef';

// Everything here stands in for what a unit test cannot reach: the identity
// providers behind the auth APIs and the Kubernetes backend behind fetch.

export const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'demo-service',
    annotations: { 'backstage.io/kubernetes-id': 'demo-service' },
  },
  spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
};

export const SPECTROCLOUD_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c3BlY3Ryb2Nsb3Vk';

export const STOCK_OIDC_TOKENS = {
  gitlab: 'gitlab-id-token',
  google: 'google-id-token',
  microsoft: 'microsoft-id-token',
  okta: 'okta-id-token',
  onelogin: 'onelogin-id-token',
} as const;

export type Cluster = {
  name: string;
  authProvider: string;
  oidcTokenProvider?: string;
};

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

function fakeOAuthApi(token: string) {
  return {
    getIdToken: jest.fn(async () => token),
    getAccessToken: jest.fn(async () => `${token}-access`),
  };
}

/** A SpectroCloud auth API whose `getIdToken` does what the test says. */
export function fakeSpectroCloudAuth(
  getIdToken: () => Promise<unknown> = async () => SPECTROCLOUD_TOKEN,
) {
  return {
    getIdToken: jest.fn(getIdToken),
    getProfile: jest.fn(async () => undefined),
    getBackstageIdentity: jest.fn(async () => undefined),
    signIn: jest.fn(async () => {}),
    signOut: jest.fn(async () => {}),
    sessionState$: jest.fn(),
  };
}

/** A Kubernetes backend that lists `clusters` and records what it receives. */
export function fakeKubernetesBackend(clusters: Cluster[] = CLUSTERS) {
  const requests: Array<{ url: string; method: string; headers: Record<string, string>; body?: any }> = [];
  const fetch = jest.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const headers = Object.fromEntries(
      Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
    );
    requests.push({
      url,
      method: init?.method ?? 'GET',
      headers,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    const json = (data: unknown) =>
      ({ ok: true, status: 200, statusText: 'OK', json: async () => data, text: async () => JSON.stringify(data) }) as Response;
    if (url.endsWith('/api/kubernetes/clusters')) {
      return json({ items: clusters });
    }
    return json({ items: [] });
  });
  return { fetchApi: { fetch }, requests };
}

export const baseConfig: JsonObject = {
  app: { baseUrl: 'http://localhost:3000', title: 'Test app' },
  backend: { baseUrl: 'http://localhost:7007' },
};

export function stockAuthApis() {
  return [
    [gitlabAuthApiRef, fakeOAuthApi(STOCK_OIDC_TOKENS.gitlab)],
    [googleAuthApiRef, fakeOAuthApi(STOCK_OIDC_TOKENS.google)],
    [microsoftAuthApiRef, fakeOAuthApi(STOCK_OIDC_TOKENS.microsoft)],
    [oktaAuthApiRef, fakeOAuthApi(STOCK_OIDC_TOKENS.okta)],
    [oneloginAuthApiRef, fakeOAuthApi(STOCK_OIDC_TOKENS.onelogin)],
  ] as const;
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

type RenderOptions = {
  config?: JsonObject;
  spectroCloudAuth?: ReturnType<typeof fakeSpectroCloudAuth> | null;
  features?: FrontendFeature[];
  clusters?: Cluster[];
};

/**
 * Boots a real app with the real Kubernetes plugin (and, unless told
 * otherwise, this module) and renders what the Kubernetes tab uses to load
 * objects for `entity`.
 */
export function renderKubernetesObjects(options: RenderOptions) {
  const backend = fakeKubernetesBackend(options.clusters);
  const errorApi: ErrorApi & { getErrors(): Array<{ error: Error }> } = mockApis.error({ collect: true });
  let result: ObjectsResult | undefined;
  const spectroCloudAuth =
    options.spectroCloudAuth === undefined ? fakeSpectroCloudAuth() : options.spectroCloudAuth;
  const rendered = renderInTestApp(
    <KubernetesObjectsProbe onResult={r => { result = r; }} />,
    {
      features: options.features ?? [kubernetesPlugin, spectroCloudModule],
      config: { ...baseConfig, ...options.config },
      apis: [
        [fetchApiRef, backend.fetchApi],
        [errorApiRef, errorApi],
        ...stockAuthApis(),
        ...(spectroCloudAuth ? ([[spectroCloudAuthApiRef, spectroCloudAuth]] as const) : []),
      ] as any,
    },
  );
  return { rendered, backend, spectroCloudAuth, errorApi, getResult: () => result };
}

/** Like {@link renderKubernetesObjects}, and waits until the objects load or fail. */
export async function loadKubernetesObjects(options: RenderOptions) {
  const { getResult, ...rest } = renderKubernetesObjects(options);
  await waitFor(() => expect(getResult()).toBeDefined());
  return { result: getResult()!, ...rest };
}

/**
 * `renderTestApp`, and waits for the app's lazily loaded parts inside
 * `act`, as React asks of tests.
 */
export async function startTestApp(options: RenderTestAppOptions): Promise<TestAppRenderResult> {
  let app: TestAppRenderResult | undefined;
  await act(async () => {
    app = renderTestApp(options);
  });
  return app!;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A JWT shaped like an ID token, with the given algorithm and expiry in
 * seconds from now, issued at least an hour before it expires; its signature
 * is not checked by the module.
 */
export function idToken(options: { alg?: string; expiresIn?: number; payload?: object } = {}): string {
  const { alg = 'RS256', expiresIn = 3600, payload } = options;
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + expiresIn;
  return [base64url({ alg, typ: 'JWT' }), base64url(payload ?? { sub: 'alice', iat: Math.min(iat, exp - 3600), exp }), 'c2lnbmF0dXJl'].join('.');
}

/**
 * Boots a real app with the Kubernetes plugin and this module, and returns
 * the Kubernetes API that pod logs and exec use (the proxy path).
 */
export async function startKubernetesProxy(
  options: { config?: JsonObject; spectroCloudAuth?: ReturnType<typeof fakeSpectroCloudAuth> } = {},
) {
  const backend = fakeKubernetesBackend();
  const { apis } = await startTestApp({
    features: [kubernetesPlugin, spectroCloudModule],
    config: { ...baseConfig, ...options.config },
    apis: [
      [fetchApiRef, backend.fetchApi],
      [spectroCloudAuthApiRef, options.spectroCloudAuth ?? fakeSpectroCloudAuth()],
      ...stockAuthApis(),
    ] as any,
  });
  return { kubernetesApi: apis.get(kubernetesApiRef)!, backend };
}
