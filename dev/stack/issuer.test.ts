// Tests for the SpectroCloud issuer stand-in: drives the authorization-code
// flow over real HTTP the way a browser plus the SpectroCloud auth module would.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

import { BrowserlessClient, OFFLINE_SCOPES, requestTokens, signInWithAuthorizationCode, type SignInChoice } from './browserlessClient.ts';
import { ALICE, BOB, CLIENT_ID, DEFAULT_BACKEND_PORT, DEMO_USERS, spectroCloudRedirectUri } from '../lib/demo.ts';
import { startIssuer, type StartedIssuer } from './issuer.ts';
import { HOST } from '../lib/loopback.ts';

const REDIRECT_URI = spectroCloudRedirectUri(`http://${HOST}:${DEFAULT_BACKEND_PORT}`);
const CLIENT = { client_id: CLIENT_ID, client_secret: `secret-${randomUUID()}`, redirect_uri: REDIRECT_URI };
const TTL = 600;

const getJson = async (url: string): Promise<any> => (await fetch(url)).json();
const basicAuth = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('SpectroCloud issuer stand-in', () => {
  let issuer: StartedIssuer;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  const logLines: string[] = [];
  const issuedTokens: string[] = [];

  before(async () => {
    const started = Date.now();
    issuer = await startIssuer({
      clients: [{ ...CLIENT, redirect_uris: [REDIRECT_URI] }],
      users: DEMO_USERS,
      idTokenTtlSeconds: TTL,
      log: line => logLines.push(line),
    });
    assert.ok(Date.now() - started < 2000, 'starts in well under 2 s');
    jwks = createRemoteJWKSet(new URL(issuer.jwksUri));
  });
  after(() => issuer.close());

  /** Walks the authorization request to the redirect URI; the sign-in page must have come up on the way. */
  async function authorize(choice: SignInChoice, client = new BrowserlessClient()) {
    const result = await client.authorize({ authorizationUrl: issuer.authorizationUrl, client: CLIENT, choice });
    assert.ok(result.signInPage, 'the sign-in page came up');
    return result;
  }

  // jose checks signature, alg, iss, aud and exp; nonce is asserted by the callers.
  async function verifyIdToken(idToken: string) {
    issuedTokens.push(idToken);
    return jwtVerify(idToken, jwks, { algorithms: ['RS256'], issuer: issuer.issuer, audience: CLIENT.client_id });
  }

  const exchangeCode = (callback: URL) =>
    requestTokens(issuer.tokenUrl, {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT.client_id,
      client_secret: CLIENT.client_secret,
    });

  test('issuer and endpoints are shaped like Palette', async () => {
    assert.match(issuer.issuer, /^http:\/\/127\.0\.0\.1:\d+\/v1\/oidc\/tenant\/demo$/);
    assert.equal(issuer.authorizationUrl, `${issuer.issuer}/auth`);
    // The SpectroCloud auth module derives the token URL this way.
    assert.equal(issuer.authorizationUrl.replace('/auth', '/token'), issuer.tokenUrl);

    const discovery = await getJson(`${issuer.issuer}/.well-known/openid-configuration`);
    assert.equal(discovery.issuer, issuer.issuer);
    assert.equal(discovery.authorization_endpoint, issuer.authorizationUrl);
    assert.equal(discovery.token_endpoint, issuer.tokenUrl);
    assert.equal(discovery.jwks_uri, issuer.jwksUri);
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['RS256']);

    const { keys } = await getJson(issuer.jwksUri);
    assert.equal(keys.length, 1);
    assert.equal(keys[0].kty, 'RSA');
    assert.ok(keys[0].kid);
    assert.equal(keys[0].d, undefined, 'JWKS must not publish the private key');
  });

  test('authorization-code flow with one click yields a verifiable RS256 ID token', async () => {
    const { signInPage, callback, nonce, state } = await authorize({ user: ALICE.id });
    assert.match(signInPage!, /<title>SpectroCloud \(local stand-in\) sign-in<\/title>/);
    assert.ok(
      signInPage!.includes(`<button type="submit" name="user" value="alice">${ALICE.name} (alice@example.com) — groups: platform-readers</button>`),
    );
    assert.match(signInPage!, /name="cancel"/);
    assert.equal(callback.searchParams.get('state'), state);
    assert.equal(callback.searchParams.get('iss'), issuer.issuer);

    // client_secret_post, exactly as @terasky/backstage-plugin-spectrocloud-auth-backend sends it.
    const { status, body } = await exchangeCode(callback);
    assert.equal(status, 200, JSON.stringify(body.error));
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, TTL);
    assert.ok(body.access_token);
    assert.equal(body.refresh_token, undefined, 'no refresh token without offline_access');

    const { payload, protectedHeader } = await verifyIdToken(body.id_token);
    assert.equal(protectedHeader.alg, 'RS256');
    assert.ok(protectedHeader.kid);
    assert.equal(payload.iss, issuer.issuer);
    assert.equal(payload.aud, CLIENT.client_id);
    assert.equal(payload.nonce, nonce);
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.email, 'alice@example.com');
    assert.equal(payload.email_verified, true);
    assert.equal(payload.name, ALICE.name);
    assert.deepEqual(payload.groups, ['platform-readers']);
    assert.equal(payload.exp! - payload.iat!, TTL);
  });

  test('client_secret_basic is accepted too; a wrong secret is not', async () => {
    const { callback, nonce } = await authorize({ user: BOB.id });
    const code = callback.searchParams.get('code')!;

    const wrong = await requestTokens(
      issuer.tokenUrl,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
      { authorization: basicAuth(CLIENT.client_id, 'not-the-secret') },
    );
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'invalid_client');

    const ok = await requestTokens(
      issuer.tokenUrl,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
      { authorization: basicAuth(CLIENT.client_id, CLIENT.client_secret) },
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body.error));
    const { payload } = await verifyIdToken(ok.body.id_token);
    assert.equal(payload.nonce, nonce);
    assert.equal(payload.email, 'bob@example.com');
    assert.deepEqual(payload.groups, BOB.groups);
  });

  test('refresh_token grant returns a fresh ID token with the same claims', async () => {
    const tokens = await signInWithAuthorizationCode({ ...issuer, client: CLIENT, userId: ALICE.id, scope: OFFLINE_SCOPES });
    assert.ok(typeof tokens.refresh_token === 'string', 'a refresh token for offline_access');
    issuedTokens.push(tokens.id_token);
    const { status, body } = await requestTokens(issuer.tokenUrl, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: CLIENT.client_id,
      client_secret: CLIENT.client_secret,
    });
    assert.equal(status, 200, JSON.stringify(body.error ?? body.token_type));
    // Compare booleans only: a failing assertion must not print token text.
    assert.ok(body.access_token !== tokens.access_token, 'a new access token');
    assert.ok(typeof body.refresh_token === 'string', 'refresh token returned');
    const { payload } = await verifyIdToken(body.id_token);
    assert.equal(payload.email, 'alice@example.com');
    assert.deepEqual(payload.groups, ['platform-readers']);
    assert.equal(payload.exp! - payload.iat!, TTL);
  });

  test('Cancel answers the client with access_denied', async () => {
    const { callback } = await authorize({ cancel: '1' });
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(callback.searchParams.get('code'), null);
  });

  test('the picker shows again in the same browser session, so users can be switched', async () => {
    const browser = new BrowserlessClient();
    // authorize() asserts that the sign-in page comes up every time.
    await authorize({ user: ALICE.id }, browser);
    await authorize({ user: ALICE.id }, browser);
    const { callback, nonce } = await authorize({ user: BOB.id }, browser);
    const { body } = await exchangeCode(callback);
    const { payload } = await verifyIdToken(body.id_token);
    assert.equal(payload.email, 'bob@example.com');
    assert.equal(payload.nonce, nonce);
  });

  test('the log names issued tokens but never contains token text', () => {
    assert.ok(logLines.some(line => /issued id_token for alice@example\.com to backstage-dev via authorization_code \(sha256 [0-9a-f]{8}/.test(line)));
    assert.ok(logLines.some(line => /issued id_token for alice@example\.com to backstage-dev via refresh_token/.test(line)));
    assert.ok(issuedTokens.length >= 3);
    const allLogs = logLines.join('\n');
    for (const token of issuedTokens) {
      assert.ok(!allLogs.includes(token), 'token text leaked into the log');
      assert.ok(!allLogs.includes(token.split('.')[2]), 'token signature leaked into the log');
    }
    assert.ok(!allLogs.includes(CLIENT.client_secret));
  });

  test('ID tokens carry a kid that the JWKS publishes', async () => {
    const tokens = await signInWithAuthorizationCode({ ...issuer, client: CLIENT, userId: BOB.id });
    issuedTokens.push(tokens.id_token);
    const { keys } = await getJson(issuer.jwksUri);
    assert.equal(decodeProtectedHeader(tokens.id_token).kid, keys[0].kid);
  });
});

describe('SpectroCloud issuer stand-in answering like Palette', () => {
  let issuer: StartedIssuer;
  before(async () => {
    issuer = await startIssuer({
      clients: [{ ...CLIENT, redirect_uris: [REDIRECT_URI] }],
      users: DEMO_USERS,
      idTokenTtlSeconds: TTL,
      paletteRefreshToken: true,
      log: () => {},
    });
  });
  after(() => issuer.close());

  test('hands out an HS256-signed session token as refresh_token, even without offline_access', async () => {
    const tokens = await signInWithAuthorizationCode({ ...issuer, client: CLIENT, userId: ALICE.id });
    assert.equal(decodeProtectedHeader(tokens.refresh_token).alg, 'HS256');
    assert.equal(decodeProtectedHeader(tokens.id_token).alg, 'RS256');
  });

  test('revoked refresh tokens and an issuer that is down are refused', async () => {
    const plain = await startIssuer({ clients: [{ ...CLIENT, redirect_uris: [REDIRECT_URI] }], users: DEMO_USERS, log: () => {} });
    try {
      const tokens = await signInWithAuthorizationCode({ ...plain, client: CLIENT, userId: BOB.id, scope: OFFLINE_SCOPES });
      const refresh = () =>
        requestTokens(plain.tokenUrl, {
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token,
          client_id: CLIENT.client_id,
          client_secret: CLIENT.client_secret,
        });
      plain.setAvailable(false);
      assert.equal((await fetch(plain.metadataUrl)).status, 503);
      plain.setAvailable(true);
      assert.equal((await refresh()).status, 200);
      assert.ok((await plain.revokeRefreshTokens(BOB.id)) >= 1);
      const refused = await refresh();
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_grant');
    } finally {
      await plain.close();
    }
  });
});
