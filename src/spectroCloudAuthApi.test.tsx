import {
  ApiBlueprint,
  createFrontendPlugin,
  oauthRequestApiRef,
  type PendingOAuthRequest,
} from '@backstage/frontend-plugin-api';
import { act } from '@testing-library/react';
import { renderTestApp } from '@backstage/frontend-test-utils';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import spectroCloudModule from './index';
import { spectroCloudAuthApiRef } from './spectroCloudAuthApiRef';
import { baseConfig, fakeSpectroCloudAuth, idToken, SPECTROCLOUD_TOKEN, startTestApp } from './__testUtils__/testApp';

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

// The backend's refresh endpoint, answering in turn with the given ID tokens,
// or with 401 where the list says so, and counting the calls.
function authBackendAnswering(...answers: Array<string | 401>) {
  let calls = 0;
  const fetch = jest.spyOn(globalThis, 'fetch').mockImplementation(async () => {
    const answer = answers[Math.min(calls++, answers.length - 1)];
    if (answer === 401) {
      return new Response(JSON.stringify({ error: { name: 'AuthenticationError', message: 'Refresh failed' } }), {
        status: 401,
        statusText: 'Unauthorized',
      });
    }
    return new Response(
      JSON.stringify({
        // The access token's lifetime, as the backend reports it.
        providerInfo: { idToken: answer, accessToken: 'access', scope: 'openid profile email', expiresInSeconds: 3600 },
        profile: { email: 'alice@example.com' },
      }),
      { status: 200, headers: { 'Content-Type': 'application/json' } },
    );
  });
  return { refreshCalls: () => fetch.mock.calls.length };
}

// A renewal opens a new OAuth2 session, which the app's sign-in dialog
// listens to, so it runs inside act.
async function inAct<T>(call: () => Promise<T>): Promise<T> {
  let result: T | undefined;
  await act(async () => {
    result = await call();
  });
  return result as T;
}

describe('the opt-in SpectroCloud auth API and the ID token\'s expiry', () => {
  afterEach(() => jest.restoreAllMocks());

  async function optInAuth() {
    const { apis } = await startTestApp({
      features: [kubernetesPlugin, spectroCloudModule],
      config: { ...baseConfig, ...enableOptIn },
    });
    return { auth: apis.get(spectroCloudAuthApiRef)!, oauthRequests: apis.get(oauthRequestApiRef)! };
  }

  it('renews before the ID token\'s own exp, once per lifetime', async () => {
    const expiring = idToken({ expiresIn: 20 });
    const fresh = idToken({ expiresIn: 3600 });
    const backend = authBackendAnswering(expiring, fresh);
    const { auth } = await optInAuth();

    await expect(inAct(() => auth.getIdToken())).resolves.toBe(fresh);
    for (let poll = 0; poll < 5; poll++) {
      await expect(inAct(() => auth.getIdToken())).resolves.toBe(fresh);
    }
    expect(backend.refreshCalls()).toBe(2);
  });

  it('swaps a fresh sign-in\'s HS256 token for the ID token a refresh returns', async () => {
    const real = idToken();
    const backend = authBackendAnswering(idToken({ alg: 'HS256' }), real);
    const { auth } = await optInAuth();

    await expect(inAct(() => auth.getIdToken())).resolves.toBe(real);
    expect(backend.refreshCalls()).toBe(2);
  });

  it('when renewal fails, asks the user to sign in once and refreshes no more while waiting', async () => {
    const backend = authBackendAnswering(idToken({ expiresIn: 20 }), 401);
    const { auth, oauthRequests } = await optInAuth();
    let pending: PendingOAuthRequest[] = [];
    oauthRequests.authRequest$().subscribe(requests => {
      pending = requests;
    });

    // The tab keeps polling while the sign-in dialog is open; the dialog is
    // part of the app, so what changes it runs inside act.
    const polls: Array<Promise<string>> = [];
    await act(async () => {
      polls.push(...Array.from({ length: 5 }, () => auth.getIdToken()));
      while (pending.length === 0) await new Promise(resolve => setTimeout(resolve, 10));
    });
    expect(pending.map(r => r.provider.id)).toEqual(['spectrocloud']);
    await act(async () => {
      polls.push(auth.getIdToken(), auth.getIdToken());
      await new Promise(resolve => setTimeout(resolve, 50));
    });
    expect(pending).toHaveLength(1);
    expect(backend.refreshCalls()).toBe(2);

    const settled = Promise.allSettled(polls);
    await act(async () => pending[0].reject());
    expect((await settled).map(o => o.status === 'rejected' && (o.reason as Error).name)).toEqual(
      Array(7).fill('RejectedError'),
    );
  });
});
