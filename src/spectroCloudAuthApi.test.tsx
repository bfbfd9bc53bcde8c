import {
  ApiBlueprint,
  createFrontendPlugin,
} from '@backstage/frontend-plugin-api';
import { renderTestApp } from '@backstage/frontend-test-utils';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import spectroCloudModule from './index';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';
import { baseConfig, fakeSpectroCloudAuth, SPECTROCLOUD_TOKEN, startTestApp } from './__testUtils__/testApp';

const enableOptIn = { app: { extensions: [{ 'api:kubernetes/spectrocloud-auth': true }] } };

// Stands in for the SpectroCloud auth frontend plugin, which registers its
// own implementation of auth.spectrocloud from a plugin of its own.
const spectroCloudAuthPlugin = createFrontendPlugin({
  pluginId: 'spectrocloud-auth',
  extensions: [
    ApiBlueprint.make({
      params: defineParams =>
        defineParams({ api: spectroCloudAuthApiRef, deps: {}, factory: () => fakeSpectroCloudAuth() as any }),
    }),
  ],
});

// The backend's /api/auth/spectrocloud/refresh endpoint is not running in a
// unit test, so global fetch answers for it and records each call.
function fakeAuthBackend() {
  return jest.spyOn(globalThis, 'fetch').mockImplementation(async () =>
    new Response(
      JSON.stringify({
        providerInfo: {
          idToken: SPECTROCLOUD_TOKEN,
          accessToken: 'palette-access-token',
          scope: 'openid profile email',
          expiresInSeconds: 3600,
        },
        profile: { email: 'alice@example.com' },
        backstageIdentity: {
          token: 'backstage-token',
          identity: { type: 'user', userEntityRef: 'user:default/alice', ownershipEntityRefs: [] },
        },
      }),
      { status: 200, headers: { 'Content-Type': 'application/json' } },
    ),
  );
}

describe('the opt-in SpectroCloud auth API', () => {
  afterEach(() => jest.restoreAllMocks());

  it('is not registered by default', async () => {
    const { apis } = await startTestApp({ features: [kubernetesPlugin, spectroCloudModule], config: baseConfig });
    expect(apis.get(spectroCloudAuthApiRef)).toBeUndefined();
  });

  it('turns on with one app-config line and gets the ID token from the spectrocloud backend provider', async () => {
    const fetch = fakeAuthBackend();
    const { apis } = await startTestApp({
      features: [kubernetesPlugin, spectroCloudModule],
      config: { ...baseConfig, ...enableOptIn },
    });

    await expect(apis.get(spectroCloudAuthApiRef)!.getIdToken()).resolves.toBe(SPECTROCLOUD_TOKEN);
    const url = new URL(String(fetch.mock.calls[0][0]));
    expect(url.origin + url.pathname).toBe('http://localhost:7007/api/auth/spectrocloud/refresh');
    expect(url.searchParams.get('scope')).toBe('openid profile email');
    expect(url.searchParams.get('env')).toBe('development');
  });

  it('honours auth.environment', async () => {
    const fetch = fakeAuthBackend();
    const { apis } = await startTestApp({
      features: [kubernetesPlugin, spectroCloudModule],
      config: { ...baseConfig, ...enableOptIn, auth: { environment: 'production' } },
    });

    await apis.get(spectroCloudAuthApiRef)!.getIdToken();
    expect(new URL(String(fetch.mock.calls[0][0])).searchParams.get('env')).toBe('production');
  });

  it('stays out of the way of a SpectroCloud auth plugin: no API_FACTORY_CONFLICT', async () => {
    const { apis } = await startTestApp({
      features: [kubernetesPlugin, spectroCloudModule, spectroCloudAuthPlugin],
      config: baseConfig,
    });
    await expect(apis.get(spectroCloudAuthApiRef)!.getIdToken()).resolves.toBe(SPECTROCLOUD_TOKEN);
  });

  it('conflicts with such a plugin when both are turned on', () => {
    expect(() =>
      renderTestApp({
        features: [kubernetesPlugin, spectroCloudModule, spectroCloudAuthPlugin],
        config: { ...baseConfig, ...enableOptIn },
      }),
    ).toThrow(/API_FACTORY_CONFLICT/);
  });
});
