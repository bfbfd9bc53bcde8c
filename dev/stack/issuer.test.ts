// The issuer stand-in's contract with the proofs that use it: Palette's
// endpoint layout, the ID token's claims for each PaletteVariant, refresh
// tokens (and Palette's HS256 one), and a log that never holds token text.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';

import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

import { BrowserlessClient, OFFLINE_SCOPES, requestTokens, signInWithAuthorizationCode, type SignInChoice } from './browserlessClient.ts';
import { ALICE, BOB, CLIENT_ID, DEFAULT_BACKEND_PORT, DEMO_USERS, READER_GROUP, spectroCloudRedirectUri } from '../lib/demo.ts';
import { startIssuer, type PaletteVariant, type StartedIssuer } from './issuer.ts';
import { HOST } from '../lib/loopback.ts';

const REDIRECT_URI = spectroCloudRedirectUri(`http://${HOST}:${DEFAULT_BACKEND_PORT}`);
const CLIENT = { client_id: CLIENT_ID, client_secret: `secret-${randomUUID()}`, redirect_uri: REDIRECT_URI };
const TTL = 600;
const logLines: string[] = [];
const issuedTokens: string[] = [];
let issuer: StartedIssuer;

before(async () => {
  issuer = await startIssuer({ clients: [{ ...CLIENT, redirect_uris: [REDIRECT_URI] }], users: DEMO_USERS, idTokenTtlSeconds: TTL, log: line => logLines.push(line) });
});
after(() => issuer.close());

const tokenRequest = (params: Record<string, string>) => requestTokens(issuer.tokenUrl, { ...params, client_id: CLIENT.client_id, client_secret: CLIENT.client_secret });
// jose checks the signature, alg, iss, aud and exp.
async function verify(idToken: string) {
  issuedTokens.push(idToken);
  const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(issuer.jwksUri)), { algorithms: ['RS256'], issuer: issuer.issuer, audience: CLIENT_ID });
  return payload;
}
async function signIn(userId: string, scope?: string) {
  const tokens = await signInWithAuthorizationCode({ ...issuer, client: CLIENT, userId, scope });
  issuedTokens.push(tokens.access_token, ...(tokens.refresh_token ? [tokens.refresh_token] : []));
  return { tokens, claims: await verify(tokens.id_token) };
}

test("issuer and endpoints are laid out as Palette's", async () => {
  assert.match(issuer.issuer, /^http:\/\/127\.0\.0\.1:\d+\/v1\/oidc\/tenant\/demo$/);
  assert.equal(issuer.authorizationUrl, `${issuer.issuer}/auth`);
  // The published auth module derives the token endpoint this way.
  assert.equal(issuer.authorizationUrl.replace('/auth', '/token'), issuer.tokenUrl);
  const discovery = await (await fetch(issuer.metadataUrl)).json();
  assert.deepEqual(
    [discovery.issuer, discovery.authorization_endpoint, discovery.token_endpoint, discovery.jwks_uri, discovery.id_token_signing_alg_values_supported],
    [issuer.issuer, issuer.authorizationUrl, issuer.tokenUrl, issuer.jwksUri, ['RS256']],
  );
});

test('the picker signs a demo user in with one click, comes up again to switch users, and cancels', async () => {
  const browser = new BrowserlessClient();
  const authorize = (choice: SignInChoice) => browser.authorize({ authorizationUrl: issuer.authorizationUrl, client: CLIENT, choice });
  assert.ok((await authorize({ user: ALICE.id })).signInPage);
  const { signInPage, callback, nonce, state } = await authorize({ user: BOB.id });
  assert.ok(signInPage, 'the picker came up again in the same browser');
  assert.deepEqual([callback.searchParams.get('state'), callback.searchParams.get('iss')], [state, issuer.issuer]);
  const { body } = await tokenRequest({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT_URI });
  const claims = await verify(body.id_token);
  assert.deepEqual([claims.email, claims.nonce], [BOB.email, nonce]);
  assert.equal((await authorize({ cancel: '1' })).callback.searchParams.get('error'), 'access_denied');
});

test('ID tokens: RS256, with the claims each PaletteVariant gives; refresh tokens only for offline_access', async () => {
  const { tokens, claims } = await signIn(ALICE.id);
  assert.deepEqual(
    { sub: claims.sub, email: claims.email, name: claims.name, lifetime: claims.exp! - claims.iat!, expires_in: tokens.expires_in, refresh_token: tokens.refresh_token },
    { sub: ALICE.id, email: ALICE.email, name: ALICE.name, lifetime: TTL, expires_in: TTL, refresh_token: undefined },
  );
  const variants: [PaletteVariant, { email_verified?: boolean; groups?: string[]; refreshToken: boolean }][] = [
    [{}, { email_verified: true, groups: [READER_GROUP], refreshToken: true }],
    [{ emailVerified: 'absent' }, { groups: [READER_GROUP], refreshToken: true }],
    [{ emailVerified: 'false' }, { email_verified: false, groups: [READER_GROUP], refreshToken: true }],
    [{ refreshTokens: false }, { email_verified: true, groups: [READER_GROUP], refreshToken: false }],
    [{ groups: false }, { email_verified: true, refreshToken: true }],
  ];
  try {
    for (const [variant, expected] of variants) {
      issuer.setVariant(variant);
      const variantSignIn = await signIn(ALICE.id, OFFLINE_SCOPES);
      const shown = Object.entries(variantSignIn.claims).filter(([claim]) => claim === 'email_verified' || claim === 'groups');
      assert.deepEqual({ ...Object.fromEntries(shown), refreshToken: typeof variantSignIn.tokens.refresh_token === 'string' }, expected, JSON.stringify(variant));
    }
  } finally {
    issuer.setVariant({});
  }
});

test('the refresh_token grant hands out a new ID token with the same claims', async () => {
  const { tokens } = await signIn(ALICE.id, OFFLINE_SCOPES);
  const { status, body } = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
  assert.equal(status, 200, body.error);
  // Booleans only: a failing assertion must not print token text.
  assert.ok(body.access_token !== tokens.access_token && typeof body.refresh_token === 'string');
  const claims = await verify(body.id_token);
  assert.deepEqual([claims.email, claims.groups, claims.exp! - claims.iat!], [ALICE.email, [READER_GROUP], TTL]);
});

test("answering like Palette: an HS256 session token as refresh_token, even without offline_access", async () => {
  issuer.answerLikePalette(true);
  try {
    const { tokens } = await signIn(ALICE.id);
    assert.deepEqual([decodeProtectedHeader(tokens.refresh_token).alg, decodeProtectedHeader(tokens.id_token).alg], ['HS256', 'RS256']);
  } finally {
    issuer.answerLikePalette(false);
  }
});

test('the log names issued tokens by hash, never by their text', () => {
  assert.ok(logLines.some(line => /issued id_token for alice@example\.com to backstage-dev via authorization_code \(sha256 [0-9a-f]{8}/.test(line)));
  assert.ok(logLines.some(line => /issued id_token for alice@example\.com to backstage-dev via refresh_token/.test(line)));
  const log = logLines.join('\n');
  for (const token of issuedTokens) assert.ok(!log.includes(token) && !log.includes(token.split('.').at(-1)!), 'token text in the log');
  assert.ok(!log.includes(CLIENT.client_secret));
});
