/**
 * @jest-environment node
 */
import { ConfigReader } from '@backstage/config';
import type { AuthenticationStrategy, ClusterDetails, KubernetesCredential, KubernetesFetcher } from '@backstage/plugin-kubernetes-node';
import { jwt, nowSeconds } from './__testUtils__/jwt';
import { authStrategies, registerAuthStrategies, signInMessage, skipClustersWithoutToken, spectroCloudOidcStrategy } from './strategies';

// The backend's own defaults, from the file that builds them: the package
// does not export the map.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildDefaultAuthStrategyMap } = require('@backstage/plugin-kubernetes-backend/dist/auth/buildDefaultAuthStrategyMap.cjs.js') as {
  buildDefaultAuthStrategyMap(options: object): Map<string, AuthenticationStrategy>;
};

const config = new ConfigReader({});
const logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };

const idToken = (expiresIn = 3600, alg = 'RS256') => jwt({ alg }, { sub: 'alice', iat: nowSeconds() - 60, exp: nowSeconds() + expiresIn });

const cluster = (name: string, tokenProvider: string, fromCatalog = false): ClusterDetails => ({
  name,
  url: `https://${name}.example:6443`,
  authMetadata: {
    'kubernetes.io/auth-provider': 'oidc',
    'kubernetes.io/oidc-token-provider': tokenProvider,
    ...(fromCatalog && { 'kubernetes.io/api-server': `https://${name}.example:6443` }),
  },
});

function recordingFetcher() {
  const nothing = async () => ({ errors: [], responses: [] });
  return { fetchObjectsForService: jest.fn(nothing), fetchPodMetricsByNamespaces: jest.fn(nothing) } satisfies KubernetesFetcher;
}

const fetchParams = (clusterDetails: ClusterDetails, credential: KubernetesCredential) => ({
  serviceId: 'demo',
  clusterDetails,
  credential,
  objectTypesToFetch: new Set<never>(),
  labelSelector: 'app=demo',
  customResources: [],
});

const strategy = spectroCloudOidcStrategy({
  tokenProviders: new Map([['spectrocloud', 'SpectroCloud'], ['palette', 'SpectroCloud EU']]),
  catalogClusterUrlAllowed: url => url === 'https://listed.example:6443',
});

/** What a cluster shows for `credential` in the objects request, and what the proxy's read of its token throws. */
async function outcome(credential: KubernetesCredential, clusterDetails = cluster('palette-dev', 'spectrocloud')) {
  const fetcher = recordingFetcher();
  const objects = await skipClustersWithoutToken(fetcher).fetchObjectsForService(fetchParams(clusterDetails, credential));
  let proxy: string | undefined;
  try {
    void (credential as { token: string }).token;
  } catch (error) {
    proxy = (error as Error).message;
  }
  return { fetched: fetcher.fetchObjectsForService.mock.calls.length > 0, objects: objects.errors.map(e => (e as { message: string }).message), proxy };
}

describe('authStrategies', () => {
  it("keeps every one of the Kubernetes backend's default strategies, with this oidc", () => {
    const defaults = buildDefaultAuthStrategyMap({ config, logger });
    const ours = authStrategies({ config, logger, oidc: strategy });
    expect([...ours.keys()].sort()).toEqual([...defaults.keys()].sort());
    const classes = (map: Map<string, AuthenticationStrategy>) => [...map].filter(([key]) => key !== 'oidc').map(([key, s]) => [key, s.constructor]);
    expect(classes(ours)).toEqual(classes(defaults));
    expect(ours.get('oidc')).toBe(strategy);
  });
});

describe('a SpectroCloud cluster asked for without its token', () => {
  it('gets its own error and no request; the other clusters are fetched as before', async () => {
    const fetcher = recordingFetcher();
    const wrapped = skipClustersWithoutToken(fetcher);
    const palette = cluster('palette-dev', 'palette');
    const withoutToken = await wrapped.fetchObjectsForService(fetchParams(palette, await strategy.getCredential(palette, {})));
    expect(withoutToken).toEqual({ errors: [{ errorType: 'FETCH_ERROR', message: "Sign in with SpectroCloud EU to see this cluster's resources: the Kubernetes access page has a button for it." }], responses: [] });
    expect(fetcher.fetchObjectsForService).not.toHaveBeenCalled();

    const okta = cluster('okta-cluster', 'okta');
    const oktaCredential = await strategy.getCredential(okta, { oidc: { okta: 'okta-token' } });
    await wrapped.fetchObjectsForService(fetchParams(okta, oktaCredential));
    expect(fetcher.fetchObjectsForService).toHaveBeenCalledWith(expect.objectContaining({ credential: { type: 'bearer token', token: 'okta-token' } }));
  });

  it('fails anywhere else its token is read, as the stock strategy does (the proxy behind pod logs)', async () => {
    const credential = await strategy.getCredential(cluster('palette-dev', 'spectrocloud'), { oidc: { spectrocloud: '' } });
    expect(await outcome(credential)).toEqual({
      fetched: false,
      objects: [signInMessage('SpectroCloud')],
      proxy: 'Auth token not found under oidc.spectrocloud in request body',
    });
  });

  it('gets no metrics request either', async () => {
    const fetcher = recordingFetcher();
    const credential = await strategy.getCredential(cluster('palette-dev', 'spectrocloud'), {});
    const metrics = await skipClustersWithoutToken(fetcher).fetchPodMetricsByNamespaces(cluster('palette-dev', 'spectrocloud'), credential, new Set(['default']));
    expect(metrics).toEqual({ errors: [], responses: [] });
    expect(fetcher.fetchPodMetricsByNamespaces).not.toHaveBeenCalled();
  });

  it('is still an error for any other OIDC provider, as before', async () => {
    await expect(strategy.getCredential(cluster('okta-cluster', 'okta'), {})).rejects.toThrow('Auth token not found under oidc.okta in request body');
  });
});

describe('a SpectroCloud token', () => {
  const credentialFor = (token: unknown, clusterDetails = cluster('palette-dev', 'spectrocloud')) =>
    strategy.getCredential(clusterDetails, { oidc: { spectrocloud: token } } as never);

  it('goes to the cluster, and to its metrics, when Kubernetes could accept it', async () => {
    const token = idToken();
    const credential = await credentialFor(token);
    expect(credential).toEqual({ type: 'bearer token', token });
    const fetcher = recordingFetcher();
    await skipClustersWithoutToken(fetcher).fetchPodMetricsByNamespaces(cluster('palette-dev', 'spectrocloud'), credential, new Set(['default']));
    expect(fetcher.fetchPodMetricsByNamespaces).toHaveBeenCalledWith(expect.anything(), credential, new Set(['default']));
  });

  const expiredAt = nowSeconds() - 60;
  const fix = "use a backend auth provider that gives SpectroCloud's ID token, such as Backstage's OIDC authenticator";
  it.each([
    ['expired', jwt({ alg: 'RS256' }, { exp: expiredAt }), `The SpectroCloud ID token expired at ${new Date(expiredAt * 1000).toISOString()} (backend clock: `],
    ['about to expire', idToken(5), 'The SpectroCloud ID token expires at '],
    ['signed HS256', idToken(3600, 'HS256'), `The SpectroCloud token is signed HS256, which Kubernetes never accepts: reload the page, or ${fix}, to see this cluster's resources.`],
    ['unsigned', idToken(3600, 'none'), 'The SpectroCloud token is signed none, which Kubernetes never accepts'],
    ['opaque', 'opaque-palette-token', `The SpectroCloud token is no ID token (not a JWS): ${fix}, to see this cluster's resources.`],
    ['a JWE', 'a.b.c.d.e', 'The SpectroCloud token is no ID token (not a JWS)'],
    ['not a string', { token: idToken() }, 'The SpectroCloud token is no ID token (not a JWS)'],
    ['without alg', jwt({ typ: 'JWT' }, { exp: nowSeconds() + 3600 }), 'The SpectroCloud token is no ID token (no alg)'],
    ['without exp', jwt({ alg: 'RS256' }, { sub: 'alice' }), 'The SpectroCloud token is no ID token (exp is not a number)'],
  ])("that is %s shows that cluster's own error, and the proxy fails with it, without quoting the token", async (_, token, message) => {
    const { fetched, objects, proxy } = await outcome(await credentialFor(token));
    expect(fetched).toBe(false);
    expect(objects).toEqual([expect.stringContaining(message)]);
    expect(proxy).toBe(objects[0]);
    expect(objects[0]).not.toContain(typeof token === 'string' ? token : 'eyJ');
  });
});

describe('a SpectroCloud cluster from the catalog', () => {
  it('gets no token unless allowedCatalogClusterUrls lists its URL, whatever the request carries', async () => {
    const unlisted = cluster('unlisted', 'spectrocloud', true);
    const message = 'This cluster is declared in the catalog, and kubernetes.spectroCloudAuth.allowedCatalogClusterUrls does not list its URL https://unlisted.example:6443: it gets no SpectroCloud token.';
    for (const auth of [{ oidc: { spectrocloud: idToken() } }, {}]) {
      expect(await outcome(await strategy.getCredential(unlisted, auth), unlisted)).toEqual({ fetched: false, objects: [message], proxy: message });
    }
    const token = idToken();
    await expect(strategy.getCredential(cluster('listed', 'spectrocloud', true), { oidc: { spectrocloud: token } })).resolves.toEqual({ type: 'bearer token', token });
  });

  it('of another OIDC provider is left to the stock strategy', async () => {
    await expect(strategy.getCredential(cluster('okta-catalog', 'okta', true), { oidc: { okta: 'okta-token' } })).resolves.toEqual({ type: 'bearer token', token: 'okta-token' });
  });
});

describe('registerAuthStrategies', () => {
  const ours = () => authStrategies({ config, logger, oidc: strategy });

  it('registers every strategy where the extension point cannot list the registered ones', () => {
    const extensionPoint = { addAuthStrategy: jest.fn() };
    const oidcReplaced = registerAuthStrategies(extensionPoint, ours());
    expect(extensionPoint.addAuthStrategy.mock.calls.map(([key]) => key).sort()).toEqual([...ours().keys()].sort());
    expect(oidcReplaced()).toBe(false);
  });
});
