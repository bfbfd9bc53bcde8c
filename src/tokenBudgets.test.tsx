import fs from 'node:fs';
import path from 'node:path';
import { act } from '@testing-library/react';
import { oauthRequestApiRef } from '@backstage/frontend-plugin-api';
import { expiresAtMs } from '../dev/lib/jwt';
import { entity, idToken, startKubernetesApis } from './__testUtils__/testApp';

// The token flow's budgets, on the real module, its opt-in OAuth2 client
// (Backstage's own) and the Kubernetes plugin's client, in the test app.
// Only the network beyond this machine is stood in for: the Kubernetes
// backend (the app's fetch API) and the backend's auth routes (global fetch,
// which the OAuth2 client calls). Jest's fake timers drive the clock, so
// hours of polling take seconds. Gates are assertions; the other figures are
// written to the file TOKEN_BUDGET_FIGURES names, which `npm run bench` prints.

// What the Kubernetes tab runs to gather every cluster's credentials before
// each objects request; the package does not export it.
const { generateAuth } = jest.requireActual(path.join(path.dirname(require.resolve('@backstage/plugin-kubernetes-react')), 'hooks/auth.esm.js'));

const USER = 'user:default/alice';
const optIn = { app: { extensions: [{ 'api:kubernetes/spectrocloud-auth': true }] } };
const ENVIRONMENTS = ['eu', 'us'].map(region => ({ tokenProviderName: `palette-${region}`, authProvider: `spectrocloud-${region}` }));
const clusters = (count: number, tokenProviders = ['spectrocloud']) =>
  Array.from({ length: count }, (_, i) => ({ name: `palette-${i}`, authProvider: 'oidc', oidcTokenProvider: tokenProviders[i % tokenProviders.length] }));

// The backend's auth routes: the nth refresh hands out the ID token `next(n)`
// gives, or fails when it gives none; refreshes are counted by backend auth
// provider.
function authRoutes(next: (n: number) => { token: string; expiresInSeconds?: number } | undefined) {
  const refreshes: string[] = [];
  jest.spyOn(globalThis, 'fetch').mockImplementation(async input => {
    const [, provider, route] = /\/api\/auth\/([^/]+)\/(\w+)/.exec(String(input)) ?? [];
    if (route !== 'refresh') return new Response(null, { status: 200 });
    refreshes.push(provider);
    const answer = next(refreshes.length);
    if (!answer) return Response.json({ error: { name: 'AuthenticationError', message: 'Token has expired' } }, { status: 401 });
    const { token, expiresInSeconds = 3600 } = answer;
    return Response.json({
      providerInfo: { idToken: token, accessToken: 'access', scope: 'openid profile email', expiresInSeconds },
      profile: {},
      backstageIdentity: { token: 'backstage', identity: { type: 'user', userEntityRef: USER, ownershipEntityRefs: [] } },
    });
  });
  return refreshes;
}

// A fresh browser opening the Kubernetes tab; `poll` is one round of it.
async function openTab(count: number, { environments = false } = {}) {
  localStorage.clear();
  const tokenProviders = environments ? ['spectrocloud', ...ENVIRONMENTS.map(e => e.tokenProviderName)] : undefined;
  const config = { ...optIn, kubernetes: { spectroCloudAuth: { environments: environments ? ENVIRONMENTS : [] } } };
  const { kubernetesApi, authProviders, apis } = await startKubernetesApis({ spectroCloudAuth: null, user: USER, config, clusters: clusters(count, tokenProviders) });
  // Inside act: a renewal makes an OAuth2 client, which the sign-in dialog renders.
  const poll = ({ failing = false } = {}) =>
    act(async (): Promise<string> => {
      try {
        const auth = await generateAuth(entity, kubernetesApi, authProviders);
        await kubernetesApi.getObjectsByEntity({ auth, entity });
        return auth.oidc.spectrocloud;
      } catch (error) {
        if (failing) return (error as Error).name;
        throw error;
      }
    });
  // The sign-in dialog's requests, as the app's dialog shows them.
  let signInRequests = 0;
  apis.get(oauthRequestApiRef)!.authRequest$().subscribe(requests => (signInRequests = requests.length));
  const podLogs = () =>
    Promise.all(clusters(count).map(({ name }) => kubernetesApi.proxy({ clusterName: name, path: '/api/v1/namespaces/default/pods/demo/log' })));
  return { poll, podLogs, signInRequests: () => signInRequests };
}

const figures: Record<string, unknown[]> = { tabLoads: [], renewals: [], environments: [], lifetimes: [] };

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
});
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});
afterAll(() => {
  if (process.env.TOKEN_BUDGET_FIGURES) fs.writeFileSync(process.env.TOKEN_BUDGET_FIGURES, JSON.stringify(figures, null, 2));
});

describe.each([1, 10, 100])('a tab load with %i SpectroCloud clusters', count => {
  it('fetches one token, and pod logs of every cluster none', async () => {
    const refreshes = authRoutes(() => ({ token: idToken() }));
    const tab = await openTab(count);
    await tab.poll();
    const onLoad = refreshes.length;
    await tab.podLogs();

    figures.tabLoads.push({ clusters: count, tokenFetches: onLoad, onPodLogs: refreshes.length - onLoad });
    expect([onLoad, refreshes.length]).toEqual([1, 1]);
  });

  it('renews an ID token half a minute from its exp before sending it', async () => {
    const fresh = idToken();
    const refreshes = authRoutes(n => ({ token: n === 1 ? idToken({ expiresIn: 30 }) : fresh }));
    expect(await (await openTab(count)).poll()).toBe(fresh);
    figures.renewals.push({ clusters: count, renewals: refreshes.length - 1 });
  });

  it("fetches each of three environments' tokens once", async () => {
    const refreshes = authRoutes(() => ({ token: idToken() }));
    await (await openTab(count, { environments: true })).poll();

    const providers = ['spectrocloud', ...ENVIRONMENTS.map(e => e.authProvider)].slice(0, count);
    const perEnvironment = providers.map(provider => refreshes.filter(p => p === provider).length);
    figures.environments.push({ clusters: count, perEnvironment });
    expect(perEnvironment).toEqual(providers.map(() => 1));
  });
});

const LIFETIMES = 3;

describe.each([20, 600, 3600])(`a tab with 100 clusters left open across ${LIFETIMES} ID-token lifetimes of %i s`, lifetime => {
  it('polling every 10 s, never sends an expired token', async () => {
    const refreshes = authRoutes(() => ({ token: idToken({ expiresIn: lifetime, lifetime }), expiresInSeconds: lifetime }));
    const tab = await openTab(100);
    await tab.poll();
    const atOpen = refreshes.length;
    let expiredSent = 0;
    for (let poll = 0; poll < (LIFETIMES * lifetime) / 10; poll++) {
      await jest.advanceTimersByTimeAsync(10_000);
      if (expiresAtMs(await tab.poll()) <= Date.now()) expiredSent++;
    }

    figures.lifetimes.push({ lifetime, clusters: 100, renewalsPerLifetime: (refreshes.length - atOpen) / LIFETIMES, expiredSent });
    expect(expiredSent).toBe(0);
  });
});

// A backend that cannot renew (the published backend auth module) serves the
// sign-in's ID token until its exp, then fails. Whichever poll comes first
// within the send margin, the user is asked to sign in once that token has
// expired, not left with no dialog.
it.each([0, 3, 6, 9])('with a backend that cannot renew, asks to sign in at expiry (first poll %i s in)', async offset => {
  const token = idToken({ expiresIn: 30, lifetime: 30 });
  authRoutes(() => (Date.now() < expiresAtMs(token) ? { token, expiresInSeconds: 30 } : undefined));
  const tab = await openTab(1);
  await jest.advanceTimersByTimeAsync(offset * 1000);
  const asked = [];
  for (let poll = 0; poll < 5; poll++) {
    await tab.poll({ failing: true });
    asked.push(tab.signInRequests());
    await jest.advanceTimersByTimeAsync(10_000);
  }
  expect(asked.slice(0, 2)).toEqual([0, 0]);
  expect(asked.slice(3)).toEqual([1, 1]);
});
