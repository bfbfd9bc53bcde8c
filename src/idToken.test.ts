import { idTokenProblem, RENEW_MARGIN, SEND_MARGIN } from './idToken';
import { guardIdTokens } from './module';
import { idToken, SPECTROCLOUD_TOKEN } from './__testUtils__/testApp';

describe('idTokenProblem', () => {
  const margin = { seconds: 30, lifetimeShare: 0.25 };

  it.each(['HS256', 'HS512', 'hs256', 'none'])('refuses a token signed with %s', alg => {
    expect(idTokenProblem(idToken({ alg }), margin)).toEqual({ alg });
  });

  it.each(['RS256', 'ES256', 'PS256'])('accepts a fresh token signed with %s', alg => {
    expect(idTokenProblem(idToken({ alg }), margin)).toBeUndefined();
  });

  it.each([
    [-10, true],
    [29, true],
    [31, false],
  ])('with exp %i s from now, an hour-long token and a 30 s margin, refuses: %s', (expiresIn, refused) => {
    const expiresAt = new Date((Math.floor(Date.now() / 1000) + expiresIn) * 1000);
    expect(idTokenProblem(idToken({ expiresIn }), margin)).toEqual(refused ? { expiresAt } : undefined);
  });

  it.each([
    [4, true],
    [6, false],
  ])('with exp %i s from now, a 20 s token and a quarter of its life as margin, refuses: %s', (expiresIn, refused) => {
    expect(idTokenProblem(idToken({ expiresIn, lifetime: 20 }), margin) !== undefined).toBe(refused);
  });

  it('uses the whole margin without an issue time', () => {
    const exp = Math.floor(Date.now() / 1000) + 29;
    expect(idTokenProblem(idToken({ payload: { exp } }), margin)).toEqual({ expiresAt: new Date(exp * 1000) });
  });

  it.each([
    ['an opaque token', 'opaque-access-token'],
    ['a JWE', 'a.b.c.d.e'],
    ['a malformed payload', `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.not-json.sig`],
    ['a token without exp', idToken({ payload: { sub: 'alice' } })],
  ])('lets %s pass: the cluster checks it', (_, token) => {
    expect(idTokenProblem(token, margin)).toBeUndefined();
  });

  it('renews earlier than it stops sending', () => {
    const token = idToken({ expiresIn: 45 });
    expect([idTokenProblem(token, RENEW_MARGIN) !== undefined, idTokenProblem(token, SEND_MARGIN)]).toEqual([true, undefined]);
  });
});

describe('guardIdTokens', () => {
  const guarded = (getIdToken: () => Promise<unknown>) => {
    const auth = { getIdToken: jest.fn(getIdToken) as jest.Mock<Promise<string>> };
    return { auth, guard: guardIdTokens(auth, { name: 'spectrocloud', title: 'SpectroCloud' }) };
  };
  const named = (name: string, message: string) => Object.assign(new Error(message), { name });

  it('hands out a usable ID token, asking the auth API once', async () => {
    const { auth, guard } = guarded(async () => SPECTROCLOUD_TOKEN);
    await expect(guard.getIdToken()).resolves.toBe(SPECTROCLOUD_TOKEN);
    expect(auth.getIdToken).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['the sign-in is rejected', async () => Promise.reject(named('RejectedError', 'Login failed, rejected by user')), 'SpectroCloudSignInRequiredError', 'RejectedError'],
    ['the sign-in popup is closed', async () => Promise.reject(named('PopupRejectedError', 'popup closed')), 'SpectroCloudSignInRequiredError', 'PopupRejectedError'],
    ['the token is empty', async () => '', 'SpectroCloudIdTokenMissingError', "'openid' scope"],
    ['there is no token', async () => undefined, 'SpectroCloudIdTokenMissingError', "'openid' scope"],
    ['the token is signed with HS256', async () => idToken({ alg: 'HS256' }), 'SpectroCloudTokenNotAnIdTokenError', 'a HS256 token'],
    ['the token is unsigned', async () => idToken({ alg: 'none' }), 'SpectroCloudTokenNotAnIdTokenError', 'a none token'],
    ['the token has expired', async () => idToken({ expiresIn: -60 }), 'SpectroCloudSessionExpiredError', 'valid until'],
    ['the token is about to expire', async () => idToken({ expiresIn: 10 }), 'SpectroCloudSessionExpiredError', 'valid until'],
  ])('when %s, fails naming the cluster provider, asking once', async (_, getIdToken, name, fact) => {
    const { auth, guard } = guarded(getIdToken);
    const error: Error = await guard.getIdToken().catch(e => e);

    expect(error.name).toBe(name);
    expect(error.message).toContain("oidcTokenProvider 'spectrocloud'");
    expect(error.message).toContain(fact);
    expect(error.message).toContain(`See ${name} in the README`);
    expect(auth.getIdToken).toHaveBeenCalledTimes(1);
  });

  it('names the expiry and the browser clock of an expired token', async () => {
    const exp = Math.floor(Date.now() / 1000) - 86_400;
    const { guard } = guarded(async () => idToken({ payload: { exp } }));
    const error: Error = await guard.getIdToken().catch(e => e);
    expect(error.message).toContain(`valid until ${new Date(exp * 1000).toISOString()}`);
    expect(error.message).toMatch(/browser clock: \d{4}-/);
  });

  it('never quotes the auth client or the token', async () => {
    const unusable = idToken({ expiresIn: -60 });
    const leaking = guarded(async () => Promise.reject(new Error(`refresh failed: id_token=${SPECTROCLOUD_TOKEN}`)));
    const expired = guarded(async () => unusable);
    const messages = await Promise.all([leaking.guard.getIdToken(), expired.guard.getIdToken()].map(p => p.catch((e: Error) => e.message)));
    expect(messages.join('\n')).not.toMatch(/eyJ/);
  });

  it.each([
    ['a token without exp', idToken({ payload: { sub: 'alice' } })],
    ['an opaque token', 'opaque-palette-token'],
  ])('passes %s on unchanged', async (_, token) => {
    await expect(guarded(async () => token).guard.getIdToken()).resolves.toBe(token);
  });
});
