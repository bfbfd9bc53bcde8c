import { OAuth2, OAuthRequestManager } from '@backstage/core-app-api';
import type { PendingOAuthRequest } from '@backstage/frontend-plugin-api';
import { mockApis } from '@backstage/frontend-test-utils';
import { waitFor } from '@testing-library/react';
import { guardIdTokens } from './idToken';
import { SpectroCloudAuth } from './SpectroCloudAuth';
import { idToken } from './__testUtils__/testApp';

// The backend's auth routes are not running in a unit test: global fetch
// answers for them. Its refresh endpoint answers with the given ID tokens in
// turn (the last one again after that, and a promised one when it comes), or
// 401 where the list says so.
function authBackend(...answers: Array<string | Promise<string> | 401>) {
  const refreshes: string[] = [];
  // What reached the backend, in order: each refresh as it is answered, each logout.
  const events: string[] = [];
  jest.spyOn(globalThis, 'fetch').mockImplementation(async input => {
    const url = String(input);
    if (url.includes('/logout')) {
      events.push('logout');
      return new Response(null, { status: 200 });
    }
    const answer = await answers[Math.min(refreshes.push(url) - 1, answers.length - 1)];
    events.push('refresh');
    if (answer === 401) {
      return new Response(JSON.stringify({ error: { name: 'AuthenticationError', message: 'Refresh failed' } }), { status: 401 });
    }
    return Response.json({
      // The access token's lifetime, as the backend reports it.
      providerInfo: { idToken: answer, accessToken: 'access', scope: 'openid profile email', expiresInSeconds: 3600 },
      profile: { email: 'alice@example.com' },
    });
  });
  return { refreshes, events };
}

// The real OAuth2 client of Backstage, as the opt-in extension creates it,
// counting the sessions made and the ID tokens asked of them.
function spectroCloudAuth() {
  const oauthRequestApi = new OAuthRequestManager();
  const counts = { sessions: 0, sessionGetIdTokenCalls: 0 };
  const auth = new SpectroCloudAuth(() => {
    counts.sessions++;
    const session = OAuth2.create({
      configApi: mockApis.config(),
      discoveryApi: mockApis.discovery({ baseUrl: 'http://localhost:7007' }),
      oauthRequestApi,
      provider: { id: 'spectrocloud', title: 'SpectroCloud', icon: () => null },
      defaultScopes: ['openid', 'profile', 'email'],
    });
    const getIdToken = session.getIdToken.bind(session);
    session.getIdToken = options => {
      counts.sessionGetIdTokenCalls++;
      return getIdToken(options);
    };
    return session;
  });
  return { auth, oauthRequestApi, counts };
}

describe('the opt-in SpectroCloud auth API', () => {
  afterEach(() => jest.restoreAllMocks());

  it('passes a fresh ID token through, with one session', async () => {
    const fresh = idToken();
    const backend = authBackend(fresh);
    const { auth, counts } = spectroCloudAuth();

    await expect(auth.getIdToken()).resolves.toBe(fresh);
    await expect(auth.getIdToken()).resolves.toBe(fresh);
    expect([backend.refreshes.length, counts.sessions]).toEqual([1, 1]);
  });

  it("renews before the ID token's own exp, once per lifetime, though the access token is still valid", async () => {
    const expiring = idToken({ expiresIn: 20 });
    const fresh = idToken();
    const backend = authBackend(expiring, fresh);
    const { auth, counts } = spectroCloudAuth();

    for (let poll = 0; poll < 6; poll++) {
      await expect(auth.getIdToken()).resolves.toBe(fresh);
    }
    expect([backend.refreshes.length, counts.sessions]).toEqual([2, 2]);
  });

  it("swaps a fresh sign-in's HS256 token for the ID token a refresh returns", async () => {
    const real = idToken();
    const backend = authBackend(idToken({ alg: 'HS256' }), real);
    const { auth } = spectroCloudAuth();

    await expect(auth.getIdToken()).resolves.toBe(real);
    expect(backend.refreshes).toHaveLength(2);
  });

  it('at worst, one credential request asks the auth API once, each of two sessions once, and makes one new session', async () => {
    const backend = authBackend(idToken({ expiresIn: 10 }));
    const { auth, counts } = spectroCloudAuth();
    const getIdToken = jest.spyOn(auth, 'getIdToken');

    const error: Error = await guardIdTokens(auth, { name: 'spectrocloud', title: 'SpectroCloud' }).getIdToken().catch(e => e);

    expect(error.name).toBe('SpectroCloudSessionExpiredError');
    expect({ authApiCalls: getIdToken.mock.calls.length, ...counts, refreshes: backend.refreshes.length }).toEqual({
      authApiCalls: 1,
      sessions: 2,
      sessionGetIdTokenCalls: 2,
      refreshes: 2,
    });
  });

  it('when renewal fails, asks the user to sign in once and refreshes no more while waiting', async () => {
    const backend = authBackend(idToken({ expiresIn: 20 }), 401);
    const { auth, oauthRequestApi } = spectroCloudAuth();
    const pending: PendingOAuthRequest[][] = [];
    const asked = new Promise<void>(resolve =>
      oauthRequestApi.authRequest$().subscribe(requests => {
        pending.push(requests);
        if (requests.length) resolve();
      }),
    );

    // The tab keeps polling while the sign-in dialog is open.
    const polls = Array.from({ length: 5 }, () => auth.getIdToken());
    await asked;
    polls.push(auth.getIdToken(), auth.getIdToken());
    const settled = Promise.allSettled(polls);
    const open = pending[pending.length - 1];
    expect(open.map(request => request.provider.id)).toEqual(['spectrocloud']);
    open[0].reject();

    expect((await settled).map(outcome => outcome.status === 'rejected' && outcome.reason.name)).toEqual(Array(7).fill('RejectedError'));
    // The session's, the silent renewal's, and the sign-in session's own before its dialog.
    expect(backend.refreshes).toHaveLength(3);
  });

  it("forgets the renewed ID token at sign-out, so the next user's session is not served it", async () => {
    const renewedBeforeSignOut = idToken({ payload: { sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 } });
    const renewedAfterSignOut = idToken({ payload: { sub: 'bob', exp: Math.floor(Date.now() / 1000) + 3600 } });
    authBackend(idToken({ expiresIn: 20 }), renewedBeforeSignOut, idToken({ expiresIn: 20 }), renewedAfterSignOut);
    const { auth } = spectroCloudAuth();

    await expect(auth.getIdToken()).resolves.toBe(renewedBeforeSignOut);
    await auth.signOut();
    await expect(auth.getIdToken()).resolves.toBe(renewedAfterSignOut);
  });

  it('lets a renewal in flight land before the sign-out ends the session, and gives no one its token', async () => {
    const renewedForAlice = idToken({ payload: { sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 } });
    const renewedForBob = idToken({ payload: { sub: 'bob', exp: Math.floor(Date.now() / 1000) + 3600 } });
    let answerRenewal!: (token: string) => void;
    const backend = authBackend(idToken({ expiresIn: 20 }), new Promise(resolve => (answerRenewal = resolve)), idToken({ expiresIn: 20 }), renewedForBob);
    const { auth } = spectroCloudAuth();

    const beforeSignOut = auth.getIdToken({ optional: true });
    await waitFor(() => expect(backend.refreshes).toHaveLength(2));
    const signedOut = auth.signOut();
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(backend.events).toEqual(['refresh']);
    answerRenewal(renewedForAlice);
    await signedOut;
    await expect(beforeSignOut).rejects.toThrow('Signed out');
    // The renewal's refresh, then the logouts of its session and of the main one.
    expect(backend.events).toEqual(['refresh', 'refresh', 'logout', 'logout']);
    await expect(auth.getIdToken()).resolves.toBe(renewedForBob);
  });

  it('renews a stale token that the backend serves again at most once in a while, not on every call', async () => {
    const stale = idToken({ expiresIn: 20 });
    const backend = authBackend(stale);
    const { auth, counts } = spectroCloudAuth();

    for (let call = 0; call < 10; call++) {
      await expect(auth.getIdToken({ optional: true })).resolves.toBe(stale);
    }
    expect([backend.refreshes.length, counts.sessions]).toEqual([2, 2]);
  });

  it('renews a renewed ID token in its turn, also within 30 s of the last renewal', async () => {
    // Fresh when handed out, within its renewal margin (half its 22 s life) a
    // second or two later.
    const shortLived = idToken({ expiresIn: 12, lifetime: 22 });
    const fresh = idToken();
    const backend = authBackend(idToken({ expiresIn: 20 }), shortLived, fresh);
    const { auth } = spectroCloudAuth();

    await expect(auth.getIdToken({ optional: true })).resolves.toBe(shortLived);
    await new Promise(resolve => setTimeout(resolve, 2_500));
    await expect(auth.getIdToken({ optional: true })).resolves.toBe(fresh);
    expect(backend.refreshes).toHaveLength(3);
  });

  it('asks a call that may ask the user to sign in when the silent renewal it joined failed', async () => {
    const stale = idToken({ expiresIn: 20 });
    let answerRenewal!: (answer: 401) => void;
    const backend = authBackend(stale, new Promise(resolve => (answerRenewal = resolve as never)), 401);
    const { auth, oauthRequestApi } = spectroCloudAuth();
    const asked = new Promise<string[]>(resolve =>
      oauthRequestApi.authRequest$().subscribe(requests => requests.length && resolve(requests.map(r => r.provider.id))),
    );

    const poll = auth.getIdToken({ optional: true });
    await waitFor(() => expect(backend.refreshes).toHaveLength(2));
    const podLogs = auth.getIdToken();
    answerRenewal(401);
    await expect(poll).resolves.toBe(stale);
    await expect(asked).resolves.toEqual(['spectrocloud']);
    void podLogs.catch(() => {});
  });

  it('answers an optional call at once while a sign-in dialog is open, with the token it has', async () => {
    const stale = idToken({ expiresIn: 20 });
    const backend = authBackend(stale, 401);
    const { auth, oauthRequestApi } = spectroCloudAuth();
    const asked = new Promise<void>(resolve => oauthRequestApi.authRequest$().subscribe(requests => requests.length && resolve()));

    const podLogs = auth.getIdToken();
    await asked;
    await expect(auth.getIdToken({ optional: true })).resolves.toBe(stale);
    expect(backend.refreshes).toHaveLength(3);
    void podLogs.catch(() => {});
  });
});
