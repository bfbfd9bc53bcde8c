import { guardIdTokens, idTokenProblem, RENEW_MARGIN, SEND_MARGIN } from './idToken';
import { idToken, SPECTROCLOUD_TOKEN } from './__testUtils__/testApp';
import { idTokenProblem as backendIdTokenProblem } from '../backend/src/idToken';

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jws = (header: object, payload: object) => [segment(header), segment(payload), 'c2lnbmF0dXJl'].join('.');
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

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
    ['an opaque token', 'opaque-access-token', 'not a JWS'],
    ['a JWE', 'a.b.c.d.e', 'not a JWS'],
    ['a payload that is no JSON', `${segment({ alg: 'RS256' })}.not-json.sig`, 'not a JWS'],
    ['a header that is no object', `${segment(['RS256'])}.${segment({ exp: 1 })}.sig`, 'not a JWS'],
    ['a segment that is no base64url', `${segment({ alg: 'RS256' })}.${Buffer.from('{"exp":1}').toString('base64')}+.sig`, 'not a JWS'],
    ['no alg', jws({ typ: 'JWT' }, { exp: inAnHour() }), 'no alg'],
    ['an empty alg', jws({ alg: '' }, { exp: inAnHour() }), 'no alg'],
    ['no exp', idToken({ payload: { sub: 'alice' } }), 'exp is not a number'],
    ['an exp that is a string', idToken({ payload: { exp: String(inAnHour()) } }), 'exp is not a number'],
  ])('refuses %s: no ID token at all', (_, token, defect) => {
    expect(idTokenProblem(token, margin)).toEqual({ malformed: defect });
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
  ])('refuses %s as no ID token', async (_, token) => {
    const error: Error = await guarded(async () => token).guard.getIdToken().catch(e => e);
    expect(error.name).toBe('SpectroCloudTokenNotAnIdTokenError');
    expect(error.message).toContain("oidcTokenProvider 'spectrocloud'");
  });
});

describe("the backend module's check", () => {
  // Its own copy of the rule (its package cannot build files from outside
  // it), with a margin of 10 s: the same verdicts as idTokenProblem's.
  const backendMargin = { seconds: 10, lifetimeShare: 1 };
  const verdict = (problem: { alg?: string; expiresAt?: Date; malformed?: string } | undefined) =>
    problem?.malformed ?? problem?.expiresAt?.toISOString() ?? problem?.alg ?? 'usable';

  it.each([
    ['a fresh RS256 token', idToken()],
    ['a fresh ES256 token', idToken({ alg: 'ES256' })],
    ['an HS256 token', idToken({ alg: 'HS256' })],
    ['an hs512 token', idToken({ alg: 'hs512' })],
    ['an unsigned token', idToken({ alg: 'none' })],
    ['an expired token', idToken({ expiresIn: -60 })],
    ['a token 5 s from its exp', idToken({ expiresIn: 5 })],
    ['a token 15 s from its exp', idToken({ expiresIn: 15 })],
    ['an opaque token', 'opaque-access-token'],
    ['a JWE', 'a.b.c.d.e'],
    ['an empty token', ''],
    ['a payload that is no JSON', `${segment({ alg: 'RS256' })}.not-json.sig`],
    ['a header that is no object', `${segment(['RS256'])}.${segment({ exp: inAnHour() })}.sig`],
    ['a payload that is null', `${segment({ alg: 'RS256' })}.${segment(null)}.sig`],
    ['a padded segment', `${segment({ alg: 'RS256' })}.${segment({ exp: inAnHour() })}==.sig`],
    ['a signature that is no base64url', `${segment({ alg: 'RS256' })}.${segment({ exp: inAnHour() })}.sig+/=`],
    ['an empty signature', `${segment({ alg: 'RS256' })}.${segment({ exp: inAnHour() })}.`],
    ['no alg', jws({ typ: 'JWT' }, { exp: inAnHour() })],
    ['an alg that is no string', jws({ alg: 256 }, { exp: inAnHour() })],
    ['no exp', idToken({ payload: { sub: 'alice' } })],
    ['an exp that is a string', idToken({ payload: { exp: String(inAnHour()) } })],
  ])('judges %s as idTokenProblem does', (_, token) => {
    expect(verdict(backendIdTokenProblem(token))).toBe(verdict(idTokenProblem(token, backendMargin)));
  });
});
