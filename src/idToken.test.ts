import { expiresWithin, isSymmetricOrUnsigned, readIdToken } from './idToken';
import { idToken } from './__testUtils__/testApp';

describe('readIdToken', () => {
  it('reads the algorithm and the expiry', () => {
    const claims = readIdToken(idToken({ alg: 'ES256', expiresIn: 120 }))!;
    expect(claims.alg).toBe('ES256');
    expect(claims.expiresAt!.getTime() / 1000).toBeCloseTo(Date.now() / 1000 + 120, -1);
  });

  it.each([
    ['an opaque token', 'opaque-access-token'],
    ['a JWE', 'a.b.c.d.e'],
    ['a malformed payload', `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.not-json.sig`],
  ])('reads nothing from %s', (_, token) => {
    expect(readIdToken(token)).toBeUndefined();
  });

  it('reads no expiry from a token without exp', () => {
    expect(readIdToken(idToken({ payload: { sub: 'alice' } }))).toEqual({
      alg: 'RS256',
      expiresAt: undefined,
      issuedAt: undefined,
    });
  });
});

describe('isSymmetricOrUnsigned', () => {
  it.each(['HS256', 'HS512', 'none'])('is true for %s', alg => {
    expect(isSymmetricOrUnsigned({ alg })).toBe(true);
  });
  it.each(['RS256', 'ES256', 'PS256', undefined])('is false for %s', alg => {
    expect(isSymmetricOrUnsigned({ alg })).toBe(false);
  });
});

describe('expiresWithin', () => {
  const now = Date.UTC(2026, 10, 29, 12);
  const margin = { seconds: 30, lifetimeShare: 0.25 };
  const at = (seconds: number) => new Date(now + seconds * 1000);

  it.each([
    [-10, true],
    [29, true],
    [31, false],
  ])('with exp %i s from now, an hour-long token and a 30 s margin: %s', (seconds, expected) => {
    expect(expiresWithin({ issuedAt: at(seconds - 3600), expiresAt: at(seconds) }, margin, now)).toBe(expected);
  });

  it.each([
    [4, true],
    [6, false],
  ])('with exp %i s from now, a 20 s token and a quarter of its life as margin: %s', (seconds, expected) => {
    expect(expiresWithin({ issuedAt: at(seconds - 20), expiresAt: at(seconds) }, margin, now)).toBe(expected);
  });

  it('uses the whole margin without an issue time', () => {
    expect(expiresWithin({ expiresAt: at(29) }, margin, now)).toBe(true);
  });

  it('is false without an expiry', () => {
    expect(expiresWithin({}, margin, now)).toBe(false);
  });
});
