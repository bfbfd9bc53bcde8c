import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import {
  kubernetesAuthProvidersApiRef,
  type KubernetesAuthProvidersApi,
} from '@backstage/plugin-kubernetes-react';
import type { FrontendFeature } from '@backstage/frontend-plugin-api';
import { renderTestApp } from '@backstage/frontend-test-utils';
import type { JsonObject } from '@backstage/types';
import spectroCloudModule from './index';
import {
  CLUSTERS,
  SPECTROCLOUD_TOKEN,
  STOCK_OIDC_TOKENS,
  baseConfig,
  fakeSpectroCloudAuth,
  loadKubernetesObjects,
  stockAuthApis,
  startKubernetesProxy,
  startTestApp,
} from './__testUtils__/testApp';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';

const STOCK = 'api:kubernetes/auth-providers';
const OWN = 'api:kubernetes/spectrocloud-auth-providers';
const MODULE_EXTENSIONS = [
  STOCK,
  OWN,
  'api:kubernetes/spectrocloud-auth',
  'app-root-element:kubernetes/spectrocloud-auth-check',
];

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
  ['the module\'s id, then the stock id', extensions(OWN, STOCK)],
  ['the stock id, then the module\'s id', extensions(STOCK, OWN)],
  ['the module\'s id, then the stock id, both true', extensions({ [OWN]: true }, { [STOCK]: true })],
  ['the stock id, then the module\'s id, both true', extensions({ [STOCK]: true }, { [OWN]: true })],
  ['the module\'s own id disabled', extensions({ [OWN]: false })],
  ['the stock id alone', extensions(STOCK)],
];

describe.each(appConfigs)('with %s', (_, config) => {
  it('sends the SpectroCloud ID token and every stock provider\'s credentials, with no app error', async () => {
    const { result, backend, errorApi } = await loadKubernetesObjects({ config });

    expect(result.error).toBeUndefined();
    expect(backend.requests.find(r => r.method === 'POST')?.body.auth).toEqual({
      oidc: { spectrocloud: SPECTROCLOUD_TOKEN, ...STOCK_OIDC_TOKENS },
      google: 'google-id-token-access',
      aks: 'microsoft-id-token-access',
    });
    expect(errorApi.getErrors()).toEqual([]);
  });
});

const spectroCloud = CLUSTERS.filter(c => c.oidcTokenProvider === 'spectrocloud');
const others = CLUSTERS.filter(c => c.oidcTokenProvider !== 'spectrocloud');
const clusterOrders = {
  'SpectroCloud first': [...spectroCloud, ...others],
  'SpectroCloud in the middle': [...others.slice(0, 3), ...spectroCloud, ...others.slice(3)],
  'SpectroCloud last': [...others, ...spectroCloud],
};

describe.each(Object.entries(clusterOrders))('with clusters listed %s', (_, clusters) => {
  it('keeps the credentials of the clusters before and after it', async () => {
    const { result, backend } = await loadKubernetesObjects({ clusters });

    expect(result.error).toBeUndefined();
    expect(backend.requests.find(r => r.method === 'POST')?.body.auth).toEqual({
      oidc: { spectrocloud: SPECTROCLOUD_TOKEN, ...STOCK_OIDC_TOKENS },
      google: 'google-id-token-access',
      aks: 'microsoft-id-token-access',
    });
  });
});

describe('pod logs and exec (the proxy path)', () => {
  it.each([
    ['nothing in app-config', {}],
    ['the stock auth-providers extension disabled', extensions({ [STOCK]: false })],
  ])('with %s, send the token in the proxy header only to SpectroCloud clusters', async (_, config) => {
    const { kubernetesApi, backend } = await startKubernetesProxy({ config });

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

describe('the installed Kubernetes plugin', () => {
  async function providersOf(features: FrontendFeature[]) {
    const { apis, unmount } = await startTestApp({
      features,
      config: baseConfig,
      apis: [[spectroCloudAuthApiRef, fakeSpectroCloudAuth()], ...stockAuthApis()] as any,
    });
    const providers = apis.get(kubernetesAuthProvidersApiRef)!;
    // One app on the page at a time, as in a browser.
    unmount();
    return providers;
  }

  it('offers no provider that this module\'s API lacks, and each gives the same credentials', async () => {
    const stock = await providersOf([kubernetesPlugin]);
    const withModule = await providersOf([kubernetesPlugin, spectroCloudModule]);
    // What the plugin's own extension builds: KubernetesAuthProviders keeps
    // its providers in this map, which has no public accessor.
    const stockProviders = [
      ...(stock as unknown as { kubernetesAuthProviderMap: Map<string, unknown> })
        .kubernetesAuthProviderMap.keys(),
    ];
    expect(stockProviders.length).toBeGreaterThan(0);

    const credentials = async (api: KubernetesAuthProvidersApi, provider: string) => ({
      provider,
      body: await api.decorateRequestBodyForAuth(provider, { entity: {} as any }),
      proxy: await api.getCredentials(provider),
    });
    for (const provider of stockProviders) {
      expect(await credentials(withModule, provider)).toEqual(await credentials(stock, provider));
    }
  });
});
