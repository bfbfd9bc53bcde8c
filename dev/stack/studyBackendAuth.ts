/* eslint-disable no-nested-ternary -- each finding is a chain of the outcomes the study knows, ending in unknown() */
// The two backend auth modules that can serve the provider id `spectrocloud`,
// Backstage's OIDC authenticator (spectroCloudOidcAuthModule.ts) and the
// published @terasky/backstage-plugin-spectrocloud-auth-backend, each run in
// the stack against the issuer stand-in: what each checks at sign-in, how each
// renews and which expiry each reports. Writes what it finds as the table
// between the study:backend-auth markers of docs/backend.md, and stops at a
// finding it has no words for. Run on demand: `npm run study:backend-auth`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { decodeJwt, decodeProtectedHeader } from 'jose';

import { BrowserlessClient } from './browserlessClient.ts';
import { ALICE } from '../lib/demo.ts';
import type { IdTokenFlaw, StartedIssuer } from './issuer.ts';
import { tokenFingerprint } from './kube-apiserver/auditLog.ts';
import { AUTH_BACKENDS, startStack, type AuthBackend, type Stack } from './stack.ts';

const DOCUMENT = new URL('../../docs/backend.md', import.meta.url);
const PUBLISHED = new URL('node_modules/@terasky/backstage-plugin-spectrocloud-auth-backend/package.json', import.meta.url);
// Short enough to wait for an ID token's expiry; the access token lives
// longer, so the expiry a backend reports shows which one it is.
const ID_TOKEN_TTL_SECONDS = 12;
const ACCESS_TOKEN_TTL_SECONDS = 2 * ID_TOKEN_TTL_SECONDS;
const BACKEND_PORT = 7207;

/** The table's rows, in order, with the check that finds each. */
const ROWS: [string, string][] = [
  ['Discovery', 'finds the endpoints by discovery, or from the configured authorizationUrl'],
  ['Signature of the ID token', 'sign-in with an ID token with the flaw forged-signature'],
  ['`iss`', '… the flaw wrong-issuer'],
  ['`aud`', '… the flaw wrong-audience'],
  ['`exp` at sign-in', '… the flaw expired'],
  ['`nonce`', '… the flaw wrong-nonce'],
  ['What a refused sign-in stores', 'the five flaw tests'],
  ['PKCE', 'sends PKCE and a nonce, or only a nonce'],
  ['Renewal', 'renews: a refresh before and after the ID token expires'],
  ['Expiry reported at sign-in', 'reports an expiry at sign-in'],
  ['Expiry reported by a refresh', 'renews: …'],
  ["Palette's HS256 `refresh_token`", "takes Palette's HS256 refresh_token …"],
  ['Refresh while the issuer is down', 'answers a refresh while the issuer is down'],
  ['Refresh after the refresh token is revoked', 'answers a refresh after the refresh token is revoked'],
];

/** Each flaw, its row, and what the row says when a module refuses it or takes it. */
const FLAWS: { flaw: IdTokenFlaw; row: string; refused: string; taken: string }[] = [
  { flaw: 'forged-signature', row: 'Signature of the ID token', refused: "Checked against the issuer's keys: refused", taken: 'Not checked: signed in, and its refresh serves the forged token' },
  { flaw: 'wrong-issuer', row: '`iss`', refused: 'Checked: refused', taken: 'Not checked' },
  { flaw: 'wrong-audience', row: '`aud`', refused: 'Checked: refused', taken: 'Not checked' },
  { flaw: 'expired', row: '`exp` at sign-in', refused: 'Checked: refused', taken: 'Not checked: signed in; the first refresh fails (`Token has expired`)' },
  { flaw: 'wrong-nonce', row: '`nonce`', refused: 'Sent and checked: refused', taken: 'Sent, not checked' },
];

type ProviderInfo = { idToken: string; expiresInSeconds?: number };
const findings = new Map<string, Partial<Record<AuthBackend, string>>>();
const found = (backend: AuthBackend, row: string, text: string) => {
  console.log(`${backend}: ${row}: ${text}`);
  findings.set(row, { ...findings.get(row), [backend]: text });
};
function unknown(row: string, facts: object): never {
  throw new Error(`${row}: a finding the study has no words for: ${JSON.stringify(facts)}`);
}
const sameToken = (a: string, b: string) => tokenFingerprint(a) === tokenFingerprint(b);
const secondsLeft = (idToken: string) => decodeJwt(idToken).exp! - Math.floor(Date.now() / 1000);
const tokenRequests = (issuer: StartedIssuer) => issuer.requests.filter(request => request.endsWith(' /v1/oidc/tenant/demo/token')).length;

/** Signs alice in as the app's popup does, to the frame handler's page: the message it posts, and the refresh cookie set. */
async function signIn(stack: Stack) {
  const client = new BrowserlessClient();
  const start = `${stack.backendUrl}/api/auth/spectrocloud/start?${new URLSearchParams({ scope: 'openid profile email', origin: stack.appUrl, flow: 'popup', env: 'development' })}`;
  let authorizationRequest: URL | undefined;
  // Never stops: notes the first request to the issuer's authorization endpoint.
  const stopAt = (url: string) => url.startsWith(stack.issuer!.authorizationUrl) && !(authorizationRequest ??= new URL(url));
  const walk = await client.walkSignIn(start, { user: ALICE.id }, { stopAt });
  const encoded = /var authResponse = decodeURIComponent\('([^']*)'\)/.exec(walk.body ?? '')?.[1];
  assert.ok(encoded && authorizationRequest, 'the sign-in went to the issuer and ended on the frame handler page');
  const message: { response?: { providerInfo: ProviderInfo }; error?: { message: string } } = JSON.parse(decodeURIComponent(encoded));
  const cookie = walk.response!.headers.getSetCookie().map(line => /^spectrocloud-refresh-token=([^;]+)/.exec(line)?.[1]).find(Boolean);
  return { client, authorizationRequest, message, refreshCookie: cookie && decodeURIComponent(cookie) };
}

/** The backend's refresh endpoint, as the app's OAuth2 client calls it. */
async function refresh(stack: Stack, client: BrowserlessClient) {
  const response = await client.fetch(`${stack.backendUrl}/api/auth/spectrocloud/refresh?optional&env=development`, { headers: { 'x-requested-with': 'XMLHttpRequest' } });
  const body = (await response.json()) as { providerInfo?: ProviderInfo; error?: { message: string } };
  return { status: response.status, providerInfo: body.providerInfo, error: body.error?.message ?? '' };
}

async function study(backend: AuthBackend, stack: Stack, issuer: StartedIssuer) {
  const requested = (path: string) => issuer.requests.includes(`GET /v1/oidc/tenant/demo${path}`);
  const { authorizationRequest, message, refreshCookie } = await signIn(stack);
  assert.ok(message.response && refreshCookie, message.error?.message);
  assert.equal(authorizationRequest.origin + authorizationRequest.pathname, issuer.authorizationUrl);
  assert.ok(tokenRequests(issuer) >= 1 && authorizationRequest.searchParams.get('nonce'), 'a nonce sent, and the code taken to the token endpoint');
  const discovery = [requested('/.well-known/openid-configuration'), requested('/jwks'), requested('/me')].join();
  found(backend, 'Discovery', discovery === 'true,true,true' ? 'Reads `metadataUrl`, then the JWKS and userinfo endpoints it names'
    : discovery === 'false,false,false' ? 'None: `authorizationUrl` as configured, and the code goes to its `/token` sibling (`/auth` replaced); no JWKS, no userinfo' : unknown('Discovery', { discovery }));

  const pkce = authorizationRequest.searchParams.get('code_challenge_method');
  found(backend, 'PKCE', pkce === 'S256' ? 'S256 on every sign-in (the stand-in checks the verifier)' : pkce === null ? 'None' : unknown('PKCE', { pkce }));

  const { idToken, expiresInSeconds } = message.response.providerInfo;
  assert.equal(decodeProtectedHeader(idToken).alg, 'RS256');
  assert.equal(decodeJwt(idToken).exp! - decodeJwt(idToken).iat!, ID_TOKEN_TTL_SECONDS);
  const expiry = (reported?: number, idTokenLeft?: number) =>
    reported === ACCESS_TOKEN_TTL_SECONDS ? "The access token's `expires_in`" : idTokenLeft !== undefined && Math.abs(reported! - idTokenLeft) <= 1 ? "The ID token's own `exp`" : unknown('expiry', { reported, idTokenLeft });
  found(backend, 'Expiry reported at sign-in', expiry(expiresInSeconds));

  const refusals: boolean[] = [];
  for (const { flaw, row, refused, taken } of FLAWS) {
    issuer.flawNextIdToken(flaw);
    const flawed = await signIn(stack);
    const afterwards = await refresh(stack, flawed.client);
    const error = flawed.message.error?.message;
    if (error !== undefined) {
      assert.equal(error.includes('eyJ'), false, 'no token text in the error');
      refusals.push(flawed.refreshCookie === undefined && afterwards.status === 401 && /Missing session cookie/.test(afterwards.error));
      found(backend, row, `${refused}, \`${error.replace(/^Authentication rejected, /, '').replace(/, (expected|now) .*$/, '')}\``);
    } else if (flaw === 'expired' ? afterwards.status === 401 && /Token has expired/.test(afterwards.error) : afterwards.status === 200 && sameToken(afterwards.providerInfo!.idToken, flawed.message.response!.providerInfo.idToken)) {
      found(backend, row, taken);
    } else unknown(row, { status: afterwards.status, error: afterwards.error });
  }
  if (refusals.length === 0) found(backend, 'What a refused sign-in stores', '(it refuses none of these)');
  else if (refusals.length === FLAWS.length && refusals.every(Boolean)) found(backend, 'What a refused sign-in stores', 'Nothing: no refresh cookie, no session (`/refresh` answers 401 `Missing session cookie`)');
  else unknown('What a refused sign-in stores', { refusals });

  // Renewal, before and after the ID token expires. RS256 signatures are
  // deterministic: an ID token renewed within the second of the sign-in would
  // be the same token.
  const renewing = await signIn(stack);
  const signedIn = renewing.message.response!.providerInfo.idToken;
  const asked = tokenRequests(issuer);
  await sleep(1100);
  const first = await refresh(stack, renewing.client);
  const leftAtFirst = secondsLeft(signedIn);
  await sleep((secondsLeft(signedIn) + 1) * 1000);
  const second = await refresh(stack, renewing.client);
  const renewal = { first: first.status, renewed: !sameToken(first.providerInfo?.idToken ?? '', signedIn), second: second.status, secondError: second.error, asked: tokenRequests(issuer) - asked };
  if (renewal.first === 200 && renewal.renewed && second.status === 200 && secondsLeft(second.providerInfo!.idToken) > 0 && renewal.asked === 2) {
    found(backend, 'Renewal', 'With the refresh token (`offline_access`): each refresh brings a new, verified ID token, also after the previous one expired');
  } else if (renewal.first === 200 && !renewal.renewed && second.status === 401 && /expired/.test(second.error) && renewal.asked === 0) {
    found(backend, 'Renewal', "None: a refresh re-serves the sign-in's ID token until its `exp`, then fails; the issuer is never asked");
  } else unknown('Renewal', renewal);
  found(backend, 'Expiry reported by a refresh', expiry(first.providerInfo!.expiresInSeconds, leftAtFirst));

  issuer.answerLikePalette(true);
  const palette = await signIn(stack).finally(() => issuer.answerLikePalette(false));
  const algs = [palette.message.response!.providerInfo.idToken, (await refresh(stack, palette.client)).providerInfo?.idToken].map(token => token && decodeProtectedHeader(token).alg);
  found(backend, "Palette's HS256 `refresh_token`", algs[0] === 'RS256' ? "The session's ID token is the RS256 one"
    : algs.join() === 'HS256,RS256' ? 'Served as the ID token until the first refresh, which serves the RS256 one' : unknown('HS256', { algs }));

  const revoking = await signIn(stack);
  const revoked = await issuer.revokeRefreshToken(revoking.refreshCookie!);
  const afterRevocation = await refresh(stack, revoking.client);
  found(backend, 'Refresh after the refresh token is revoked', revoked && afterRevocation.status === 401 && /invalid_grant/.test(afterRevocation.error) ? 'Fails: 401 (`invalid_grant`)'
    : !revoked && afterRevocation.status === 200 ? 'Succeeds until the ID token expires (it holds no refresh token)' : unknown('revocation', { revoked, status: afterRevocation.status, error: afterRevocation.error }));

  // Last: the issuer goes down for good (the stack's stop closes it again, harmlessly).
  const whileDown = await signIn(stack);
  await issuer.close();
  const down = await refresh(stack, whileDown.client);
  found(backend, 'Refresh while the issuer is down', down.status === 401 && /^Refresh failed/.test(down.error) ? 'Fails: 401 `Refresh failed`, so the app asks the user to sign in'
    : down.status === 200 ? 'Succeeds with the stored ID token (until its `exp`)' : unknown('issuer down', { status: down.status, error: down.error }));
}

for (const backend of AUTH_BACKENDS) {
  console.log(`Starting the stack with the ${backend} backend auth module...`);
  const stack = await startStack({ frontend: false, backendPort: BACKEND_PORT, idTokenTtlSeconds: ID_TOKEN_TTL_SECONDS, accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS, authBackend: backend });
  try {
    await study(backend, stack, stack.issuer!);
  } finally {
    await stack.stop();
  }
}

const publishedVersion = JSON.parse(fs.readFileSync(PUBLISHED, 'utf8')).version;
const table = [
  `| | Backstage's OIDC authenticator as \`spectrocloud\` | Published module ${publishedVersion} | Test |`,
  '| --- | --- | --- | --- |',
  ...ROWS.map(([row, check]) => `| ${row} | ${findings.get(row)!.oidc} | ${findings.get(row)!.published} | ${check} |`),
].join('\n');
const document = fs.readFileSync(DOCUMENT, 'utf8');
const markers = /(<!-- study:backend-auth -->\n)[^]*?(\n<!-- \/study:backend-auth -->)/;
assert.match(document, markers, 'docs/backend.md has the study:backend-auth markers');
fs.writeFileSync(DOCUMENT, document.replace(markers, (_, open, close) => `${open}${table}${close}`));
console.log('Wrote the table to docs/backend.md.');
