import { act } from '@testing-library/react';
import { CLUSTERS, idToken, startKubernetesApis } from './__testUtils__/testApp';

const SIGN_IN_PAGE_KEY = '@backstage/core:SignInPage:provider';
const EU = { tokenProviderName: 'palette-eu', authProvider: 'spectrocloud-eu', title: 'SpectroCloud EU' };
const config = { kubernetes: { spectroCloudAuth: { environments: [EU] } } };
const clusters = [...CLUSTERS, { name: 'palette-eu-prod', authProvider: 'oidc', oidcTokenProvider: EU.tokenProviderName }];
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';

// The backend auth provider spectrocloud-eu as the browser holds it: its
// refresh cookie names whose session it is, until a logout clears it. The
// backend is not running in a unit test; global fetch answers for it.
function euAuthBackend(session: { person?: string; backstageUser?: string }) {
  const events: string[] = [];
  const tokens = new Map<string, string>();
  jest.spyOn(globalThis, 'fetch').mockImplementation(async input => {
    const url = String(input);
    if (url.includes(`/api/auth/${EU.authProvider}/logout`)) {
      events.push('logout');
      session.person = undefined;
      return new Response(null, { status: 200 });
    }
    if (!url.includes(`/api/auth/${EU.authProvider}/refresh`)) return new Response(null, { status: 404 });
    if (!session.person) {
      events.push('refresh: no session');
      return Response.json({ error: { name: 'AuthenticationError', message: 'Missing session cookie' } }, { status: 401 });
    }
    events.push(`refresh: ${session.person}`);
    const token = idToken({ payload: { sub: session.person, exp: Math.floor(Date.now() / 1000) + 3600 } });
    tokens.set(token, session.person);
    return Response.json({
      providerInfo: { idToken: token, accessToken: 'access', scope: 'openid profile email', expiresInSeconds: 3600 },
      profile: {},
      // Only a provider with a sign-in resolver names a Backstage user.
      ...(session.backstageUser && { backstageIdentity: { token: 'backstage-token', identity: { type: 'user', userEntityRef: session.backstageUser, ownershipEntityRefs: [] } } }),
    });
  });
  return { events, whoseToken: (token: string | undefined) => (token ? tokens.get(token) : undefined) };
}

/**
 * One page load of the app for `user`, with the SignInPage's key as it was
 * when the app loaded and as it is after sign-in; returns the EU token that
 * the Kubernetes tab's objects request carries.
 */
async function pageLoad(user: string, signIn: { atLoad: boolean }) {
  if (signIn.atLoad) localStorage.setItem(SIGN_IN_PAGE_KEY, 'provider');
  else localStorage.removeItem(SIGN_IN_PAGE_KEY);
  const { authProviders } = await startKubernetesApis({ config, clusters, user, backendModule: ['spectrocloud', EU.tokenProviderName] });
  // The sign-in page remembers the provider once someone signed in.
  localStorage.setItem(SIGN_IN_PAGE_KEY, 'provider');
  const body = await act(() => authProviders.decorateRequestBodyForAuth(`oidc.${EU.tokenProviderName}`, {} as never));
  return (body.auth as { oidc?: Record<string, string> } | undefined)?.oidc?.[EU.tokenProviderName];
}

describe("a SpectroCloud session, on a browser that people share", () => {
  beforeEach(() => localStorage.clear());
  afterEach(() => jest.restoreAllMocks());

  it('serves the user who opened it on every page load of theirs, with no extra refresh or logout', async () => {
    const session = { person: 'alice' };
    const backend = euAuthBackend(session);
    await pageLoad(ALICE, { atLoad: true }); // her first page after the session began claims it
    backend.events.length = 0;
    session.person = 'alice'; // she signs in to SpectroCloud EU again

    const token = await pageLoad(ALICE, { atLoad: true });
    expect(backend.whoseToken(token)).toBe('alice');
    expect(backend.events).toEqual(['refresh: alice']);
  });

  it.each([
    ['signs out and the next person signs in as someone else', BOB],
    ['signs out and the next person signs in with the same Backstage identity, such as guest', ALICE],
  ])('is not served to the next user when the first %s', async (_, nextUser) => {
    const session = { person: 'alice' };
    const backend = euAuthBackend(session);
    await pageLoad(ALICE, { atLoad: true });
    session.person = 'alice';
    expect(backend.whoseToken(await pageLoad(ALICE, { atLoad: true }))).toBe('alice');
    backend.events.length = 0;

    // Sign-out removes the SignInPage's key and reloads; the next person signs in.
    const token = await pageLoad(nextUser, { atLoad: false });
    expect(token).toBe('');
    expect(backend.events.indexOf('logout')).toBeGreaterThanOrEqual(0);
    expect(backend.events.slice(backend.events.indexOf('logout') + 1)).not.toContain('refresh: alice');
  });

  it("is not served to another user whose sign-in the page did not see (Alice's Backstage session expired)", async () => {
    const session = { person: 'alice' };
    const backend = euAuthBackend(session);
    await pageLoad(ALICE, { atLoad: true });
    session.person = 'alice';

    backend.events.length = 0;

    const token = await pageLoad(BOB, { atLoad: true });
    expect(token).toBe('');
    // Asked whom the session names (no one: its provider has no sign-in resolver), ended, and not used since.
    expect(backend.events.slice(0, 2)).toEqual(['refresh: alice', 'logout']);
    expect(backend.events.slice(2)).not.toContain('refresh: alice');
  });

  it("keeps the session of the user's own sign-in with it, which names them, after a fresh sign-in", async () => {
    const backend = euAuthBackend({ person: 'alice', backstageUser: ALICE });

    const token = await pageLoad(ALICE, { atLoad: false });
    expect(backend.whoseToken(token)).toBe('alice');
    expect(backend.events).not.toContain('logout');
  });
});
