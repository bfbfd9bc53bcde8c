// The two backend auth modules that can serve the provider id `spectrocloud`,
// each run in the stack against the issuer stand-in: Backstage's OIDC
// authenticator (spectroCloudOidcAuthModule.ts) and the published
// @terasky/backstage-plugin-spectrocloud-auth-backend. What each checks at
// sign-in, how each renews and which expiry each reports: the README's
// "Backend: the SpectroCloud auth provider" table states these findings.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { decodeJwt, decodeProtectedHeader } from 'jose';

import { BrowserlessClient } from './browserlessClient.ts';
import { ALICE } from '../lib/demo.ts';
import type { IdTokenFlaw, StartedIssuer } from './issuer.ts';
import { tokenFingerprint } from './kube-apiserver/auditLog.ts';
import { AUTH_BACKENDS, startStack, type AuthBackend, type Stack } from './stack.ts';

// Short enough to wait for an ID token's expiry; the access token lives
// longer, so the expiry a backend reports shows which one it is.
const ID_TOKEN_TTL_SECONDS = 12;
const ACCESS_TOKEN_TTL_SECONDS = 2 * ID_TOKEN_TTL_SECONDS;
const BACKEND_PORTS: Record<AuthBackend, number> = { oidc: 7207, published: 7307 };

interface ProviderInfo {
  idToken: string;
  accessToken: string;
  expiresInSeconds?: number;
}

/** What the sign-in popup posts to the app: a session, or an error. */
interface FrameMessage {
  type: string;
  response?: { providerInfo: ProviderInfo };
  error?: { name: string; message: string };
}

interface SignIn {
  client: BrowserlessClient;
  authorizationRequest: URL;
  message: FrameMessage;
  /** Whether the sign-in's answer set the provider's refresh cookie. */
  refreshCookieSet: boolean;
}

/** The frame handler's page hands its message to the app URI-encoded in a script. */
function frameMessage(page: string): FrameMessage {
  const encoded = /var authResponse = decodeURIComponent\('([^']*)'\)/.exec(page)?.[1];
  assert.ok(encoded, 'the sign-in ended on the frame handler page');
  return JSON.parse(decodeURIComponent(encoded));
}

/** Signs in as the app's popup does, stopping at the frame handler's page. */
async function signIn(stack: Stack, userId = ALICE.id): Promise<SignIn> {
  const client = new BrowserlessClient();
  const start = new URL(`${stack.backendUrl}/api/auth/spectrocloud/start`);
  start.search = new URLSearchParams({ scope: 'openid profile email', origin: stack.appUrl, flow: 'popup', env: 'development' }).toString();
  const started = await client.fetch(start.href);
  await started.arrayBuffer();
  const authorizationRequest = new URL(started.headers.get('location')!);
  const walk = await client.walkSignIn(authorizationRequest.href, { user: userId });
  assert.match(new URL(walk.url).pathname, /\/api\/auth\/spectrocloud\/handler\/frame$/);
  const refreshCookieSet = walk.response!.headers.getSetCookie().some(line => /^spectrocloud-refresh-token=[^;]+/.test(line));
  return { client, authorizationRequest, message: frameMessage(walk.body!), refreshCookieSet };
}

/** The backend's refresh endpoint, as the app's OAuth2 client calls it. */
async function refresh(stack: Stack, client: BrowserlessClient) {
  const response = await client.fetch(`${stack.backendUrl}/api/auth/spectrocloud/refresh?optional&env=development`, {
    headers: { 'x-requested-with': 'XMLHttpRequest' },
  });
  const body = (await response.json()) as { providerInfo?: ProviderInfo; error?: { message: string } };
  return { status: response.status, providerInfo: body.providerInfo, error: body.error?.message };
}

const secondsLeft = (idToken: string) => decodeJwt(idToken).exp! - Math.floor(Date.now() / 1000);
const lifetime = (idToken: string) => decodeJwt(idToken).exp! - decodeJwt(idToken).iat!;
const tokenRequests = (issuer: StartedIssuer) => issuer.requests.filter(request => request.endsWith(' /v1/oidc/tenant/demo/token')).length;
// No assertion message may hold token text; these compare fingerprints.
const sameToken = (a: string, b: string) => tokenFingerprint(a) === tokenFingerprint(b);

/** One finding per row and backend, printed at the end as the README's table states them. */
const findings = new Map<string, Partial<Record<AuthBackend, string>>>();
function finding(row: string, backend: AuthBackend, text: string) {
  findings.set(row, { ...findings.get(row), [backend]: text });
}

after(() => {
  const lines = [...findings].map(([row, byBackend]) => `  ${row}\n    oidc:      ${byBackend.oidc}\n    published: ${byBackend.published}`);
  console.log(`Backend auth modules for spectrocloud, against the issuer stand-in:\n${lines.join('\n')}`);
});

const FLAWS: { flaw: IdTokenFlaw; row: string; error: RegExp }[] = [
  { flaw: 'forged-signature', row: 'signature', error: /signature/i },
  { flaw: 'wrong-issuer', row: 'iss', error: /\biss\b/i },
  { flaw: 'wrong-audience', row: 'aud', error: /\baud\b/i },
  { flaw: 'expired', row: 'exp at sign-in', error: /expired/i },
  { flaw: 'wrong-nonce', row: 'nonce', error: /nonce/i },
];

AUTH_BACKENDS.forEach(authBackend => {
  describe(`the ${authBackend} backend auth module as spectrocloud`, { timeout: 300_000 }, () => {
    let stack: Stack;
    let issuer: StartedIssuer;

    before(async () => {
      stack = await startStack({
        frontend: false,
        backendPort: BACKEND_PORTS[authBackend],
        idTokenTtlSeconds: ID_TOKEN_TTL_SECONDS,
        accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS,
        authBackend,
      });
      issuer = stack.issuer!;
    });
    after(() => stack?.stop());

    it('finds the endpoints by discovery, or from the configured authorizationUrl', async () => {
      const { authorizationRequest, message } = await signIn(stack);
      assert.ok(message.response, message.error?.message);
      const requested = (path: string) => issuer.requests.includes(`GET /v1/oidc/tenant/demo${path}`);
      const discovered = requested('/.well-known/openid-configuration');
      const authorizationEndpoint = authorizationRequest.origin + authorizationRequest.pathname;
      assert.equal(authorizationEndpoint, issuer.authorizationUrl);
      assert.ok(tokenRequests(issuer) >= 1, 'the code went to the token endpoint');
      // The signing keys (JWKS) and the userinfo endpoint (/me), as discovery names them.
      const keysAndUserinfo = requested('/jwks') && requested('/me');
      if (authBackend === 'oidc') {
        assert.ok(discovered);
        assert.ok(keysAndUserinfo);
        finding('discovery', authBackend, "reads Palette's discovery document (metadataUrl), then the JWKS and userinfo endpoints it names");
      } else {
        assert.equal(discovered, false);
        assert.equal(requested('/jwks') || requested('/me'), false);
        finding('discovery', authBackend, "none: authorizationUrl as configured, the code posted to that URL's '/token' sibling; no JWKS, no userinfo");
      }
    });

    it('sends PKCE and a nonce, or only a nonce', async () => {
      const { authorizationRequest } = await signIn(stack);
      const params = authorizationRequest.searchParams;
      assert.ok(params.get('nonce'));
      if (authBackend === 'oidc') {
        assert.equal(params.get('code_challenge_method'), 'S256');
        assert.ok(params.get('code_challenge'));
        finding('PKCE', authBackend, 'S256 code_challenge on every sign-in (the stand-in checks the verifier at the code exchange)');
      } else {
        assert.equal(params.get('code_challenge'), null);
        finding('PKCE', authBackend, 'none');
      }
    });

    it('reports an expiry at sign-in: the access token’s expires_in', async () => {
      const { message, refreshCookieSet } = await signIn(stack);
      const providerInfo = message.response!.providerInfo;
      assert.ok(refreshCookieSet);
      assert.equal(decodeProtectedHeader(providerInfo.idToken).alg, 'RS256');
      assert.equal(lifetime(providerInfo.idToken), ID_TOKEN_TTL_SECONDS);
      // The access token's lifetime, not the ID token's.
      assert.equal(providerInfo.expiresInSeconds, ACCESS_TOKEN_TTL_SECONDS);
      finding(
        'expiry reported at sign-in',
        authBackend,
        `expires_in of the access token (${providerInfo.expiresInSeconds} s for an ID token of ${ID_TOKEN_TTL_SECONDS} s)`,
      );
    });

    FLAWS.forEach(({ flaw, row, error }) => {
      it(`sign-in with an ID token with the flaw ${flaw}`, async () => {
        issuer.flawNextIdToken(flaw);
        const { client, message, refreshCookieSet } = await signIn(stack);
        const afterwards = await refresh(stack, client);
        if (authBackend === 'oidc') {
          // Refused with a clear error, and nothing stored: no refresh cookie, no session.
          assert.equal(message.response, undefined, `${flaw} was accepted`);
          assert.match(message.error!.message, error);
          assert.equal(message.error!.message.includes('eyJ'), false, 'no token text in the error');
          assert.equal(refreshCookieSet, false);
          assert.equal(afterwards.status, 401);
          assert.match(afterwards.error!, /Missing session cookie/);
          finding(row, authBackend, `refused: "${message.error!.message.replace(/, (expected|now) .*/, '')}"; no refresh cookie, no session`);
        } else if (flaw === 'expired') {
          assert.ok(message.response && refreshCookieSet, 'the published module takes the expired token');
          assert.equal(afterwards.status, 401);
          finding(row, authBackend, 'signed in with the expired token; its first refresh fails ("Token has expired")');
        } else {
          assert.ok(message.response && refreshCookieSet, `the published module takes the ${flaw} token`);
          assert.equal(afterwards.status, 200);
          assert.ok(sameToken(afterwards.providerInfo!.idToken, message.response.providerInfo.idToken));
          finding(row, authBackend, 'not checked: signed in, and its refresh serves the flawed token');
        }
      });
    });

    it('renews: a refresh before and after the ID token expires', async () => {
      const { client, message } = await signIn(stack);
      const signedIn = message.response!.providerInfo.idToken;
      const tokenRequestsBefore = tokenRequests(issuer);
      // RS256 signatures are deterministic: an ID token renewed within the
      // second of the sign-in would be the same token.
      await new Promise(resolve => setTimeout(resolve, 1100));
      const first = await refresh(stack, client);
      const leftAtFirst = secondsLeft(signedIn);
      assert.equal(first.status, 200);
      await new Promise(resolve => setTimeout(resolve, (secondsLeft(signedIn) + 1) * 1000));
      const second = await refresh(stack, client);
      const issuerAsked = tokenRequests(issuer) - tokenRequestsBefore;
      if (authBackend === 'oidc') {
        assert.equal(sameToken(first.providerInfo!.idToken, signedIn), false, 'a new ID token');
        assert.equal(second.status, 200);
        assert.ok(secondsLeft(second.providerInfo!.idToken) > 0, 'an unexpired ID token after the first one expired');
        assert.equal(issuerAsked, 2);
        assert.equal(first.providerInfo!.expiresInSeconds, ACCESS_TOKEN_TTL_SECONDS);
        finding('renewal', authBackend, 'each refresh uses the refresh token (offline_access): a new, verified ID token, also after the first expired');
        finding('expiry reported by a refresh', authBackend, `expires_in of the access token (${first.providerInfo!.expiresInSeconds} s)`);
      } else {
        assert.ok(sameToken(first.providerInfo!.idToken, signedIn), 'the sign-in ID token again');
        assert.equal(second.status, 401);
        assert.match(second.error!, /expired/);
        assert.equal(issuerAsked, 0);
        const reported = first.providerInfo!.expiresInSeconds!;
        assert.ok(Math.abs(reported - leftAtFirst) <= 1);
        finding('renewal', authBackend, 'none: a refresh re-serves the sign-in ID token until its exp, then fails ("Token has expired"); the issuer is never asked');
        finding('expiry reported by a refresh', authBackend, `the ID token's own exp (${reported} s left)`);
      }
    });

    it("takes Palette's HS256 refresh_token as a session token, or keeps the ID token", async () => {
      issuer.answerLikePalette(true);
      try {
        const { client, message } = await signIn(stack);
        const alg = decodeProtectedHeader(message.response!.providerInfo.idToken).alg;
        const renewed = await refresh(stack, client);
        if (authBackend === 'oidc') {
          assert.equal(alg, 'RS256');
          finding("Palette's HS256 refresh_token", authBackend, "the session's ID token is the RS256 one");
        } else {
          assert.equal(alg, 'HS256');
          assert.equal(renewed.status, 200);
          assert.equal(decodeProtectedHeader(renewed.providerInfo!.idToken).alg, 'RS256');
          finding("Palette's HS256 refresh_token", authBackend, 'the session hands out the HS256 token as the ID token until the first refresh, which serves the RS256 one');
        }
      } finally {
        issuer.answerLikePalette(false);
      }
    });

    it('answers a refresh while the issuer is down', async () => {
      const { client } = await signIn(stack);
      issuer.setAvailable(false);
      try {
        const { status, error } = await refresh(stack, client);
        if (authBackend === 'oidc') {
          assert.equal(status, 401);
          assert.match(error!, /Refresh failed/);
          finding('refresh while the issuer is down', authBackend, `fails: HTTP 401 "${error!.slice(0, 60)}…"`);
        } else {
          assert.equal(status, 200);
          finding('refresh while the issuer is down', authBackend, 'succeeds (re-serves the stored ID token; the issuer is not asked)');
        }
      } finally {
        issuer.setAvailable(true);
      }
    });

    it('answers a refresh after the refresh token is revoked', async () => {
      const { client } = await signIn(stack);
      await issuer.revokeRefreshTokens(ALICE.id);
      const { status, error } = await refresh(stack, client);
      if (authBackend === 'oidc') {
        assert.equal(status, 401);
        assert.match(error!, /invalid_grant/);
        finding('refresh after revocation', authBackend, `fails: HTTP 401 (invalid_grant)`);
      } else {
        assert.equal(status, 200);
        finding('refresh after revocation', authBackend, 'succeeds until the ID token expires (it holds no refresh token)');
      }
    });
  });
});
