// Tests for the SpectroCloud issuer stand-in: drives the authorization-code
// flow over real HTTP the way a browser plus the SpectroCloud auth module would.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

import { signInWithAuthorizationCode } from './httpClient.mjs';
import { startIssuer } from './issuer.mjs';

const REDIRECT_URI = 'http://127.0.0.1:7007/api/auth/spectrocloud/handler/frame';
const CLIENT = { client_id: 'backstage', client_secret: `secret-${randomUUID()}`, redirect_uris: [REDIRECT_URI] };
const USERS = [
  { id: 'alice', email: 'alice@example.com', name: 'Alice Doe', groups: ['platform-readers'] },
  { id: 'bob', email: 'bob@example.com', name: 'Bob Roe', groups: [] },
];
const TTL = 600;

/** Minimal cookie jar: the flow needs the interaction and session cookies. */
function cookieJar() {
  const cookies = new Map();
  return {
    store(res) {
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair.indexOf('=');
        const name = pair.slice(0, eq).trim();
        if (/expires=Thu, 01 Jan 1970/i.test(line)) cookies.delete(name);
        else cookies.set(name, pair.slice(eq + 1));
      }
    },
    header: () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
  };
}

async function get(url, jar) {
  const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
  jar.store(res);
  return res;
}

/** Follow redirects by hand until leaving the issuer for the redirect_uri. */
async function followUntil(res, jar, stopPrefix) {
  for (let hops = 0; hops < 10; hops += 1) {
    const location = res.headers.get('location');
    if (!location) return { res };
    const next = new URL(location, res.url);
    if (next.href.startsWith(stopPrefix)) return { callback: next };
    res = await get(next, jar);
  }
  throw new Error('too many redirects');
}

function authorizationRequest(issuer, { nonce, state, scope = 'openid profile email' }) {
  const url = new URL(issuer.authorizationUrl);
  url.search = new URLSearchParams({
    client_id: CLIENT.client_id, redirect_uri: REDIRECT_URI, response_type: 'code', scope, state, nonce,
  }).toString();
  return url;
}

/** GET /auth → sign-in page → POST the form → back at redirect_uri. */
async function runFlow(issuer, { userField = { user: 'alice' }, nonce = randomUUID(), state = randomUUID(), jar = cookieJar() } = {}) {
  const first = await followUntil(await get(authorizationRequest(issuer, { nonce, state }), jar), jar, REDIRECT_URI);
  assert.equal(first.res.status, 200, 'sign-in page expected');
  const html = await first.res.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  assert.ok(action, 'sign-in form present');

  const posted = await fetch(new URL(action, first.res.url), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(userField).toString(),
  });
  jar.store(posted);
  assert.equal(posted.status, 303);
  const { callback } = await followUntil(posted, jar, REDIRECT_URI);
  assert.ok(callback, 'redirected back to the client');
  return { html, callback, nonce, state };
}

async function tokenRequest(issuer, params, headers = {}) {
  const res = await fetch(issuer.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: await res.json() };
}

const basicAuth = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('SpectroCloud issuer stand-in', () => {
  let issuer;
  let jwks;
  const logLines = [];
  const issuedTokens = [];

  before(async () => {
    const started = Date.now();
    issuer = await startIssuer({ clients: [CLIENT], users: USERS, idTokenTtlSeconds: TTL, log: (l) => logLines.push(l) });
    assert.ok(Date.now() - started < 2000, 'starts in well under 2 s');
    jwks = createRemoteJWKSet(new URL(issuer.jwksUri));
  });
  after(() => issuer.close());

  // jose checks signature, alg, iss, aud and exp; nonce is asserted by the callers.
  async function verifyIdToken(idToken) {
    issuedTokens.push(idToken);
    return jwtVerify(idToken, jwks, { algorithms: ['RS256'], issuer: issuer.issuer, audience: CLIENT.client_id });
  }

  test('issuer and endpoints are shaped like Palette', async () => {
    assert.match(issuer.issuer, /^http:\/\/127\.0\.0\.1:\d+\/v1\/oidc\/tenant\/demo$/);
    assert.equal(issuer.authorizationUrl, `${issuer.issuer}/auth`);
    // The SpectroCloud auth module derives the token URL this way.
    assert.equal(issuer.authorizationUrl.replace('/auth', '/token'), issuer.tokenUrl);

    const discovery = await (await fetch(`${issuer.issuer}/.well-known/openid-configuration`)).json();
    assert.equal(discovery.issuer, issuer.issuer);
    assert.equal(discovery.authorization_endpoint, issuer.authorizationUrl);
    assert.equal(discovery.token_endpoint, issuer.tokenUrl);
    assert.equal(discovery.jwks_uri, issuer.jwksUri);
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['RS256']);

    const { keys } = await (await fetch(issuer.jwksUri)).json();
    assert.equal(keys.length, 1);
    assert.equal(keys[0].kty, 'RSA');
    assert.ok(keys[0].kid);
    assert.equal(keys[0].d, undefined, 'JWKS must not publish the private key');
  });

  test('authorization-code flow with one click yields a verifiable RS256 ID token', async () => {
    const { html, callback, nonce, state } = await runFlow(issuer);
    assert.match(html, /<title>SpectroCloud \(local stand-in\) sign-in<\/title>/);
    assert.match(html, /<button type="submit" name="user" value="alice">Alice Doe \(alice@example\.com\) — groups: platform-readers<\/button>/);
    assert.match(html, /name="cancel"/);
    assert.equal(callback.searchParams.get('state'), state);
    assert.equal(callback.searchParams.get('iss'), issuer.issuer);

    // client_secret_post, exactly as @terasky/backstage-plugin-spectrocloud-auth-backend sends it.
    const { status, body } = await tokenRequest(issuer, {
      grant_type: 'authorization_code', code: callback.searchParams.get('code'), redirect_uri: REDIRECT_URI,
      client_id: CLIENT.client_id, client_secret: CLIENT.client_secret,
    });
    assert.equal(status, 200, JSON.stringify(body.error));
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, TTL);
    assert.ok(body.access_token);
    assert.ok(body.refresh_token, 'refresh token issued without offline_access');

    const { payload, protectedHeader } = await verifyIdToken(body.id_token);
    assert.equal(protectedHeader.alg, 'RS256');
    assert.ok(protectedHeader.kid);
    assert.equal(payload.iss, issuer.issuer);
    assert.equal(payload.aud, CLIENT.client_id);
    assert.equal(payload.nonce, nonce);
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.email, 'alice@example.com');
    assert.equal(payload.email_verified, true);
    assert.equal(payload.name, 'Alice Doe');
    assert.deepEqual(payload.groups, ['platform-readers']);
    assert.equal(payload.exp - payload.iat, TTL);
  });

  test('client_secret_basic is accepted too; a wrong secret is not', async () => {
    const { callback, nonce } = await runFlow(issuer, { userField: { user: 'bob' } });
    const code = callback.searchParams.get('code');

    const wrong = await tokenRequest(issuer, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
      { authorization: basicAuth(CLIENT.client_id, 'not-the-secret') });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'invalid_client');

    const ok = await tokenRequest(issuer, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
      { authorization: basicAuth(CLIENT.client_id, CLIENT.client_secret) });
    assert.equal(ok.status, 200, JSON.stringify(ok.body.error));
    const { payload } = await verifyIdToken(ok.body.id_token);
    assert.equal(payload.nonce, nonce);
    assert.equal(payload.email, 'bob@example.com');
    assert.deepEqual(payload.groups, []);
  });

  test('refresh_token grant returns a fresh ID token with the same claims', async () => {
    const tokens = await signInWithAuthorizationCode({
      ...issuer, client: { ...CLIENT, redirect_uri: REDIRECT_URI }, userId: 'alice',
    });
    issuedTokens.push(tokens.id_token);
    const { status, body } = await tokenRequest(issuer, {
      grant_type: 'refresh_token', refresh_token: tokens.refresh_token,
      client_id: CLIENT.client_id, client_secret: CLIENT.client_secret,
    });
    assert.equal(status, 200, JSON.stringify(body.error ?? body.token_type));
    // Compare booleans only: a failing assertion must not print token text.
    assert.ok(body.access_token !== tokens.access_token, 'a new access token');
    assert.ok(typeof body.refresh_token === 'string', 'refresh token returned');
    const { payload } = await verifyIdToken(body.id_token);
    assert.equal(payload.email, 'alice@example.com');
    assert.deepEqual(payload.groups, ['platform-readers']);
    assert.equal(payload.exp - payload.iat, TTL);
  });

  test('Cancel answers the client with access_denied', async () => {
    const { callback } = await runFlow(issuer, { userField: { cancel: '1' } });
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(callback.searchParams.get('code'), null);
  });

  test('the picker shows again in the same browser session, so users can be switched', async () => {
    const jar = cookieJar();
    await runFlow(issuer, { jar, userField: { user: 'alice' } });
    // runFlow asserts that the sign-in page (HTTP 200) comes up every time.
    await runFlow(issuer, { jar, userField: { user: 'alice' } });
    const { callback, nonce } = await runFlow(issuer, { jar, userField: { user: 'bob' } });
    const { body } = await tokenRequest(issuer, {
      grant_type: 'authorization_code', code: callback.searchParams.get('code'), redirect_uri: REDIRECT_URI,
      client_id: CLIENT.client_id, client_secret: CLIENT.client_secret,
    });
    const { payload } = await verifyIdToken(body.id_token);
    assert.equal(payload.email, 'bob@example.com');
    assert.equal(payload.nonce, nonce);
  });

  test('the log names issued tokens but never contains token text', () => {
    assert.ok(logLines.some((l) => /issued id_token for alice@example\.com to backstage via authorization_code \(sha256 [0-9a-f]{8}/.test(l)));
    assert.ok(logLines.some((l) => /issued id_token for alice@example\.com to backstage via refresh_token/.test(l)));
    assert.ok(issuedTokens.length >= 3);
    const allLogs = logLines.join('\n');
    for (const token of issuedTokens) {
      assert.ok(!allLogs.includes(token), 'token text leaked into the log');
      assert.ok(!allLogs.includes(token.split('.')[2]), 'token signature leaked into the log');
    }
    assert.ok(!allLogs.includes(CLIENT.client_secret));
  });

  test('ID tokens carry a kid that the JWKS publishes', async () => {
    const tokens = await signInWithAuthorizationCode({ ...issuer, client: { ...CLIENT, redirect_uri: REDIRECT_URI }, userId: 'bob' });
    issuedTokens.push(tokens.id_token);
    const { keys } = await (await fetch(issuer.jwksUri)).json();
    assert.equal(decodeProtectedHeader(tokens.id_token).kid, keys[0].kid);
  });
});
