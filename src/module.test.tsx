import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import {
  kubernetesApiRef,
  kubernetesAuthProvidersApiRef,
} from '@backstage/plugin-kubernetes-react';
import { fetchApiRef } from '@backstage/frontend-plugin-api';
import { renderTestApp } from '@backstage/frontend-test-utils';
import spectroCloudModule from './index';
import {
  CLUSTERS,
  SPECTROCLOUD_TOKEN,
  STOCK_OIDC_TOKENS,
  baseConfig,
  fakeKubernetesBackend,
  fakeSpectroCloudAuth,
  loadKubernetesObjects,
  stockAuthApis,
} from './__testUtils__/testApp';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';

const installPaths = {
  'nothing in app-config': {},
  'the stock auth-providers extension disabled': {
    app: { extensions: [{ 'api:kubernetes/auth-providers': false }] },
  },
};

describe.each(Object.entries(installPaths))('installed with %s', (_, config) => {
  it('sends the SpectroCloud ID token under auth.oidc.spectrocloud and keeps every stock provider', async () => {
    const { result, backend } = await loadKubernetesObjects({ config });

    expect(result.error).toBeUndefined();
    const post = backend.requests.find(r => r.method === 'POST');
    expect(post?.url).toBe('http://localhost:7007/api/kubernetes/services/demo-service');
    expect(post?.body.auth).toEqual({
      oidc: { spectrocloud: SPECTROCLOUD_TOKEN, ...STOCK_OIDC_TOKENS },
      google: 'google-id-token-access',
      aks: 'microsoft-id-token-access',
    });
  });

  it('sends the token in the proxy header only to SpectroCloud clusters', async () => {
    const backend = fakeKubernetesBackend();
    const { apis } = renderTestApp({
      features: [kubernetesPlugin, spectroCloudModule],
      config: { ...baseConfig, ...config },
      apis: [
        [fetchApiRef, backend.fetchApi],
        [spectroCloudAuthApiRef, fakeSpectroCloudAuth()],
        ...stockAuthApis(),
      ] as any,
    });
    const kubernetesApi = apis.get(kubernetesApiRef)!;

    for (const cluster of CLUSTERS) {
      await kubernetesApi.proxy({ clusterName: cluster.name, path: '/api/v1/namespaces/default/pods' });
    }

    const proxied = backend.requests.filter(r => r.url.includes('/proxy/'));
    expect(proxied).toHaveLength(CLUSTERS.length);
    for (const request of proxied) {
      const cluster = request.headers['backstage-kubernetes-cluster'];
      const carriesSpectroCloudToken = Object.values(request.headers).includes(SPECTROCLOUD_TOKEN);
      expect({ cluster, carriesSpectroCloudToken }).toEqual({
        cluster,
        carriesSpectroCloudToken: cluster === 'palette-prod',
      });
    }
    const palette = proxied.find(r => r.headers['backstage-kubernetes-cluster'] === 'palette-prod');
    expect(palette?.headers['backstage-kubernetes-authorization-oidc-spectrocloud']).toBe(SPECTROCLOUD_TOKEN);
    const okta = proxied.find(r => r.headers['backstage-kubernetes-cluster'] === 'okta-cluster');
    expect(okta?.headers['backstage-kubernetes-authorization-oidc-okta']).toBe(STOCK_OIDC_TOKENS.okta);
  });
});

describe('without this module', () => {
  it('the stock Kubernetes plugin cannot serve SpectroCloud clusters', async () => {
    const { result, backend } = await loadKubernetesObjects({ features: [kubernetesPlugin] });

    expect(result.error).toBe(
      'KubernetesAuthProviders has no oidcProvider configured for oidc.spectrocloud',
    );
    expect(backend.requests.filter(r => r.method === 'POST')).toHaveLength(0);
  });
});

describe('the seed documentation\'s app-config key', () => {
  it('is an API id, not an extension id, and only yields a warning', () => {
    expect(() =>
      renderTestApp({
        features: [kubernetesPlugin, spectroCloudModule],
        config: {
          ...baseConfig,
          app: { extensions: [{ 'plugin.kubernetes-auth-providers.service': { disabled: true } }] },
        },
        apis: [[spectroCloudAuthApiRef, fakeSpectroCloudAuth()]] as any,
      }),
    ).toThrow(/INVALID_EXTENSION_CONFIG_KEY/);
  });
});

describe('the providers API', () => {
  it('resolves to the module\'s implementation rather than the stock one', () => {
    const { apis } = renderTestApp({
      features: [kubernetesPlugin, spectroCloudModule],
      config: baseConfig,
      apis: [[spectroCloudAuthApiRef, fakeSpectroCloudAuth()], ...stockAuthApis()] as any,
    });
    return expect(
      apis.get(kubernetesAuthProvidersApiRef)!.getCredentials('oidc.spectrocloud'),
    ).resolves.toEqual({ token: SPECTROCLOUD_TOKEN });
  });
});
