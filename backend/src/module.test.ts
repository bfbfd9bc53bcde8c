/**
 * @jest-environment node
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBackendModule, type BackendFeature } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
// The Kubernetes backend needs a catalog service.
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import kubernetesPlugin from '@backstage/plugin-kubernetes-backend';
import { kubernetesAuthStrategyExtensionPoint, type AuthenticationStrategy } from '@backstage/plugin-kubernetes-node';
import type { JsonObject } from '@backstage/types';
import { jwt, nowSeconds } from './__testUtils__/jwt';
import { kubernetesModuleSpectroCloudAuth, signInMessage, TOKEN_PROVIDERS_PATH } from './module';

// A real Kubernetes backend with this module, and with other modules, in
// both orders where it matters; its clusters are stand-ins on 127.0.0.1
// that record what reaches them.

const ID_TOKEN = jwt({ alg: 'RS256' }, { sub: 'alice', iat: nowSeconds(), exp: nowSeconds() + 3600 });
const EXPIRED_AT = nowSeconds() - 60;
const EXPIRED_TOKEN = jwt({ alg: 'RS256' }, { sub: 'alice', iat: EXPIRED_AT - 3600, exp: EXPIRED_AT });

type StandIn = { url: string; authorizations: string[]; close(): void };

/** A cluster's API server: empty lists for every request, each request's Authorization kept. */
async function standInCluster(): Promise<StandIn> {
  const authorizations: string[] = [];
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization ?? '(none)');
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [] }));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, authorizations, close: () => server.close() };
}

let clusters: Record<'palette' | 'shared' | 'catalogAllowed' | 'catalogOther', StandIn>;
beforeAll(async () => {
  const [palette, shared, catalogAllowed, catalogOther] = await Promise.all(Array.from({ length: 4 }, standInCluster));
  clusters = { palette, shared, catalogAllowed, catalogOther };
});
afterAll(() => Object.values(clusters).forEach(c => c.close()));
beforeEach(() => Object.values(clusters).forEach(c => c.authorizations.splice(0)));

const component: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'demo', namespace: 'default', annotations: { 'backstage.io/kubernetes-id': 'demo' } },
  spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
};

const catalogCluster = (name: string, url: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name,
    namespace: 'default',
    annotations: {
      'kubernetes.io/api-server': url,
      'kubernetes.io/api-server-certificate-authority': 'unused',
      'kubernetes.io/auth-provider': 'oidc',
      'kubernetes.io/oidc-token-provider': 'spectrocloud',
    },
  },
  spec: { type: 'kubernetes-cluster', owner: 'team-a' },
});

function kubernetesConfig(spectroCloudAuth: JsonObject = {}): JsonObject {
  return {
    kubernetes: {
      serviceLocatorMethod: { type: 'multiTenant' },
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            { name: 'palette', url: clusters.palette.url, authProvider: 'oidc', oidcTokenProvider: 'spectrocloud', skipMetricsLookup: true },
            { name: 'shared', url: clusters.shared.url, authProvider: 'serviceAccount', serviceAccountToken: 'shared-token', skipMetricsLookup: true },
          ],
        },
        { type: 'catalog', dangerouslyAllowClusterUrls: ['127.0.0.1'] },
      ],
      spectroCloudAuth,
    },
  };
}

/** A strategy of another module, whose token shows where it served. */
const otherModulesStrategy: AuthenticationStrategy = {
  getCredential: async () => ({ type: 'bearer token', token: 'other-module-token' }),
  validateCluster: () => [],
  presentAuthMetadata: () => ({}),
};

/**
 * Another module that registers `key`, before this one, or once this one has
 * registered its strategies; it records whether it saw this module's `oidc`.
 */
function otherModule(key: string, order: 'before' | 'after') {
  const seen = { ours: undefined as boolean | undefined };
  const module = createBackendModule({
    pluginId: 'kubernetes',
    moduleId: `other-${key}`,
    register(reg) {
      reg.registerInit({
        deps: { strategies: kubernetesAuthStrategyExtensionPoint },
        async init({ strategies }) {
          const registered = () => (strategies as unknown as { getAuthenticationStrategies(): Map<string, unknown> | undefined }).getAuthenticationStrategies();
          for (let tick = 0; order === 'after' && !registered()?.has('oidc') && tick < 1000; tick++) {
            await new Promise(resolve => setImmediate(resolve));
          }
          seen.ours = registered()?.has('oidc') ?? false;
          strategies.addAuthStrategy(key, otherModulesStrategy);
        },
      });
    },
  });
  return { module, seen };
}

// Each test starts a whole backend: the first, which loads the Kubernetes
// backend, took over a minute on a two-core CI machine running three lanes.
jest.setTimeout(180_000);

async function startKubernetes(options: { spectroCloudAuth?: JsonObject; before?: BackendFeature[]; after?: BackendFeature[] } = {}) {
  const logger = mockServices.logger.mock();
  const { server } = await startTestBackend({
    features: [
      mockServices.rootConfig.factory({ data: kubernetesConfig(options.spectroCloudAuth) }),
      catalogServiceMock.factory({
        entities: [component, catalogCluster('catalog-allowed', clusters.catalogAllowed.url), catalogCluster('catalog-other', clusters.catalogOther.url)],
      }),
      logger.factory,
      kubernetesPlugin,
      ...(options.before ?? []),
      kubernetesModuleSpectroCloudAuth,
      ...(options.after ?? []),
    ],
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/kubernetes`;
  const call = async (path: string, init?: RequestInit) => {
    const response = await fetch(`${base}${path}`, init);
    return { status: response.status, body: await response.json() };
  };
  return {
    logger,
    tokenProviders: async () => (await call(TOKEN_PROVIDERS_PATH)).body,
    objects: async (token?: string) => {
      const body = { entity: component, auth: token === undefined ? {} : { oidc: { spectrocloud: token } } };
      const { body: response } = await call('/services/demo', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return Object.fromEntries((response.items as { cluster: { name: string }; errors: { message: string }[] }[]).map(item => [item.cluster.name, item.errors]));
    },
    podLogs: (cluster: string, token: string) =>
      call('/proxy/api/v1/namespaces/default/pods/demo/log', {
        headers: { 'Backstage-Kubernetes-Cluster': cluster, 'Backstage-Kubernetes-Authorization-oidc-spectrocloud': token },
      }),
  };
}

const fetchError = (message: string) => [{ errorType: 'FETCH_ERROR', message }];

/** Every stand-in's URL, whatever its port. */
const ANY_STAND_IN = { allowedCatalogClusterUrls: ['http://127.0.0.1:*'] };

describe('a SpectroCloud cluster from the catalog', () => {
  it('gets the token only when allowedCatalogClusterUrls lists its URL', async () => {
    const backend = await startKubernetes({ spectroCloudAuth: { allowedCatalogClusterUrls: [clusters.catalogAllowed.url] } });
    const errors = await backend.objects(ID_TOKEN);

    expect(errors['catalog-other']).toEqual(
      fetchError(`This cluster is declared in the catalog, and kubernetes.spectroCloudAuth.allowedCatalogClusterUrls does not list its URL ${clusters.catalogOther.url}: it gets no SpectroCloud token.`),
    );
    expect(clusters.catalogOther.authorizations).toEqual([]);
    expect(errors['catalog-allowed']).toBeUndefined();
    expect(new Set(clusters.catalogAllowed.authorizations)).toEqual(new Set([`Bearer ${ID_TOKEN}`]));
    // The config locator's clusters are the admin's own: they need no listing.
    expect(new Set(clusters.palette.authorizations)).toEqual(new Set([`Bearer ${ID_TOKEN}`]));
  });

  it('gets no token by default, for pod logs either', async () => {
    const backend = await startKubernetes();
    const errors = await backend.objects(ID_TOKEN);
    expect(Object.keys(errors).sort()).toEqual(['catalog-allowed', 'catalog-other']);
    const logs = await backend.podLogs('catalog-allowed', ID_TOKEN);

    expect(logs.status).toBe(500);
    expect(logs.body.error.message).toBe(
      `This cluster is declared in the catalog, and kubernetes.spectroCloudAuth.allowedCatalogClusterUrls does not list its URL ${clusters.catalogAllowed.url}: it gets no SpectroCloud token.`,
    );
    expect(clusters.catalogAllowed.authorizations).toEqual([]);
    expect(JSON.stringify(logs.body)).not.toContain(ID_TOKEN);
  });

  it('takes a pattern whose * stands for the port', async () => {
    const backend = await startKubernetes({ spectroCloudAuth: ANY_STAND_IN });
    expect(await backend.objects(ID_TOKEN)).toEqual({});
    expect(clusters.catalogOther.authorizations.length).toBeGreaterThan(0);
  });
});

describe('a SpectroCloud token that Kubernetes would refuse', () => {
  const expired = `The SpectroCloud ID token expired at ${new Date(EXPIRED_AT * 1000).toISOString()} (backend clock: `;

  it("is that cluster's own error, and no request; the other clusters are fetched", async () => {
    const backend = await startKubernetes();
    const errors = await backend.objects(EXPIRED_TOKEN);

    expect(errors.palette).toEqual(fetchError(expect.stringContaining(expired)));
    expect(errors.palette[0].message).toMatch(/\): sign in with SpectroCloud again, here or on the Kubernetes access page, to see this cluster's resources\.$/);
    expect(clusters.palette.authorizations).toEqual([]);
    expect(new Set(clusters.shared.authorizations)).toEqual(new Set(['Bearer shared-token']));
  });

  it('fails pod logs with the same message, and never quotes the token', async () => {
    const backend = await startKubernetes();
    const logs = await backend.podLogs('palette', EXPIRED_TOKEN);

    expect(logs.status).toBe(500);
    expect(logs.body.error.message).toContain(expired);
    expect(clusters.palette.authorizations).toEqual([]);
    expect(JSON.stringify(logs.body)).not.toContain(EXPIRED_TOKEN.split('.')[1]);
  });

  it('goes to the cluster when it is fresh', async () => {
    const backend = await startKubernetes();
    expect((await backend.podLogs('palette', ID_TOKEN)).status).toBe(200);
    expect(clusters.palette.authorizations).toEqual([`Bearer ${ID_TOKEN}`]);
  });
});

describe('a missing SpectroCloud token', () => {
  it("is that cluster's own error, and the other clusters are fetched", async () => {
    const backend = await startKubernetes({ spectroCloudAuth: ANY_STAND_IN });
    const errors = await backend.objects();
    expect(errors).toEqual({
      palette: fetchError(signInMessage('SpectroCloud')),
      'catalog-allowed': fetchError(signInMessage('SpectroCloud')),
      'catalog-other': fetchError(signInMessage('SpectroCloud')),
    });
    expect(clusters.shared.authorizations.length).toBeGreaterThan(0);
  });
});

describe('beside another module that registers serviceAccount', () => {
  it.each(['before', 'after'] as const)('keeps theirs when they register %s this one', async order => {
    const other = otherModule('serviceAccount', order);
    const backend = await startKubernetes({ [order]: [other.module] });

    expect(other.seen.ours).toBe(order === 'after');
    // This module's oidc serves SpectroCloud clusters still.
    expect(await backend.objects()).toMatchObject({ palette: fetchError(signInMessage('SpectroCloud')) });
    expect(new Set(clusters.shared.authorizations)).toEqual(new Set(['Bearer other-module-token']));
    expect(await backend.tokenProviders()).toEqual({ tokenProviders: ['spectrocloud'] });
  });
});

describe('beside another module that registers oidc', () => {
  it('fails at start when theirs came first', async () => {
    const other = otherModule('oidc', 'before');
    await expect(startKubernetes({ before: [other.module] })).rejects.toThrow(
      /SpectroCloudOidcStrategyConflictError.*registered the auth strategy 'oidc' before backstage-plugin-kubernetes-backend-module-spectrocloud-auth/s,
    );
    expect(other.seen.ours).toBe(false);
  });

  it('stops advertising its token providers, saying why, and logs it once, when theirs came after', async () => {
    const other = otherModule('oidc', 'after');
    const backend = await startKubernetes({ after: [other.module] });
    expect(other.seen.ours).toBe(true);

    await backend.objects(ID_TOKEN);
    expect(new Set(clusters.palette.authorizations)).toEqual(new Set(['Bearer other-module-token']));
    const answers = [await backend.tokenProviders(), await backend.tokenProviders()];
    expect(answers[1]).toEqual({ tokenProviders: [], conflict: expect.stringContaining("registered the auth strategy 'oidc' after backstage-plugin-kubernetes-backend-module-spectrocloud-auth") });
    expect(answers[1].conflict).toMatch(/See SpectroCloudOidcStrategyConflictError in the README\.$/);
    expect(backend.logger.error.mock.calls.filter(([message]) => message === answers[1].conflict)).toHaveLength(1);
  });
});

describe('a malformed kubernetes.spectroCloudAuth', () => {
  it.each([
    [{ tokenProviderName: 'Palette' }, 'SpectroCloudTokenProviderNameError'],
    [{ environments: [{ tokenProviderName: 'palette-eu', authProvider: 'spectrocloud' }] }, 'SpectroCloudEnvironmentError'],
  ])('stops the backend at start, naming the error: %j', async (spectroCloudAuth, name) => {
    await expect(startKubernetes({ spectroCloudAuth })).rejects.toThrow(new RegExp(`${name}.*See ${name} in the README`, 's'));
  });
});
