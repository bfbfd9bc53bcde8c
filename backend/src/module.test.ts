/**
 * @jest-environment node
 */
import { ConfigReader } from '@backstage/config';
import type { AuthenticationStrategy, ClusterDetails, KubernetesCredential, KubernetesFetcher } from '@backstage/plugin-kubernetes-node';
import { authStrategies, readTokenProviders, signInMessage, skipClustersWithoutToken, spectroCloudOidcStrategy } from './module';

// The backend's own defaults, from the file that builds them: the package
// does not export the map.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildDefaultAuthStrategyMap } = require('@backstage/plugin-kubernetes-backend/dist/auth/buildDefaultAuthStrategyMap.cjs.js') as {
  buildDefaultAuthStrategyMap(options: object): Map<string, AuthenticationStrategy>;
};

const config = new ConfigReader({});
const logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };

const cluster = (name: string, tokenProvider: string): ClusterDetails => ({
  name,
  url: `https://${name}.example`,
  authMetadata: { 'kubernetes.io/auth-provider': 'oidc', 'kubernetes.io/oidc-token-provider': tokenProvider },
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

describe('authStrategies', () => {
  it("keeps every one of the Kubernetes backend's default strategies", () => {
    const defaults = buildDefaultAuthStrategyMap({ config, logger });
    const ours = authStrategies({ config, logger, tokenProviders: new Map([['spectrocloud', 'SpectroCloud']]) });
    expect([...ours.keys()].sort()).toEqual([...defaults.keys()].sort());
    const classes = (map: Map<string, AuthenticationStrategy>) => [...map].filter(([key]) => key !== 'oidc').map(([key, s]) => [key, s.constructor]);
    expect(classes(ours)).toEqual(classes(defaults));
  });
});

describe('a SpectroCloud cluster asked for without its token', () => {
  const strategy = spectroCloudOidcStrategy(new Map([['spectrocloud', 'SpectroCloud'], ['palette', 'SpectroCloud EU']]));

  it('gets its own error and no request; the other clusters are fetched as before', async () => {
    const fetcher = recordingFetcher();
    const wrapped = skipClustersWithoutToken(fetcher);
    const palette = cluster('palette-dev', 'palette');
    const withoutToken = await wrapped.fetchObjectsForService(fetchParams(palette, await strategy.getCredential(palette, {})));
    expect(withoutToken).toEqual({ errors: [{ errorType: 'FETCH_ERROR', message: "Sign in with SpectroCloud EU to see this cluster's resources." }], responses: [] });
    expect(fetcher.fetchObjectsForService).not.toHaveBeenCalled();

    const okta = cluster('okta-cluster', 'okta');
    const oktaCredential = await strategy.getCredential(okta, { oidc: { okta: 'okta-token' } });
    await wrapped.fetchObjectsForService(fetchParams(okta, oktaCredential));
    expect(fetcher.fetchObjectsForService).toHaveBeenCalledWith(expect.objectContaining({ credential: { type: 'bearer token', token: 'okta-token' } }));
  });

  it('fails anywhere else its token is read, as the stock strategy does (the proxy behind pod logs)', async () => {
    const credential = await strategy.getCredential(cluster('palette-dev', 'spectrocloud'), { oidc: { spectrocloud: '' } });
    expect(credential.type).toBe('bearer token');
    expect(() => (credential as { token: string }).token).toThrow('Auth token not found under oidc.spectrocloud in request body');
  });

  it('carries the token when the request has it', async () => {
    await expect(strategy.getCredential(cluster('palette-dev', 'spectrocloud'), { oidc: { spectrocloud: 'id-token' } })).resolves.toEqual({
      type: 'bearer token',
      token: 'id-token',
    });
  });

  it('is still an error for any other OIDC provider, as before', async () => {
    await expect(strategy.getCredential(cluster('okta-cluster', 'okta'), {})).rejects.toThrow('Auth token not found under oidc.okta in request body');
  });
});

describe('readTokenProviders', () => {
  it("reads the frontend module's token-provider names with their titles, spectrocloud by default", () => {
    expect(readTokenProviders(new ConfigReader({}))).toEqual(new Map([['spectrocloud', 'SpectroCloud']]));
    const spectroCloudAuth = {
      tokenProviderName: 'palette',
      environments: [{ tokenProviderName: 'palette-eu', authProvider: 'spectrocloud-eu', title: 'SpectroCloud EU' }, { tokenProviderName: 'palette-us', authProvider: 'spectrocloud-us' }],
    };
    expect(readTokenProviders(new ConfigReader({ kubernetes: { spectroCloudAuth } }))).toEqual(
      new Map([['palette', 'SpectroCloud'], ['palette-eu', 'SpectroCloud EU'], ['palette-us', 'spectrocloud-us']]),
    );
    expect(signInMessage('SpectroCloud')).toBe("Sign in with SpectroCloud to see this cluster's resources.");
  });
});
