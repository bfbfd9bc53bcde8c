// The Kubernetes API stand-in's contract with the proofs that use it, with real
// ID tokens from the issuer stand-in: kube's OIDC authentication, RBAC answers
// worded as kube words them, the demo objects, self reviews, and the audit log.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { decodeJwt, generateKeyPair, SignJWT } from 'jose';

import { signInWithAuthorizationCode } from '../browserlessClient.ts';
import { ALICE, BOB, CLIENT_ID, COMPONENT, DEFAULT_BACKEND_PORT, READER_GROUP, TENANT_IDP_CLUSTER, TENANT_IDP_TRUST, spectroCloudRedirectUri, type DemoUser } from '../../lib/demo.ts';
import { startIssuer, type StartedIssuer } from '../issuer.ts';
import { HOST } from '../../lib/loopback.ts';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../../lib/temporaryDirectory.ts';
import type { AuditRecord } from './auditLog.ts';
import { SERVICE_ACCOUNT_USER } from './authentication.ts';
import { demoFixtures } from './resourceStore.ts';
import { startKubeApiServer, type StartedKubeApiServer } from './server.ts';

const REDIRECT_URI = spectroCloudRedirectUri(`http://${HOST}:${DEFAULT_BACKEND_PORT}`);
const client = (client_id: string) => ({ client_id, client_secret: randomBytes(16).toString('hex'), redirect_uri: REDIRECT_URI });
const BACKSTAGE = client(CLIENT_ID);
const OTHER_APP = client('other-app');
const registered = (c: typeof BACKSTAGE) => ({ ...c, redirect_uris: [REDIRECT_URI] });
const CAROL: DemoUser = { id: 'carol', email: 'carol@example.com', name: 'Carol Unverified', groups: [READER_GROUP], emailVerified: false };
const USERS = [ALICE, BOB, CAROL];
const PODS = `/api/v1/pods?labelSelector=${encodeURIComponent(`backstage.io/kubernetes-id=${COMPONENT}`)}`;
const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };
const readers = { name: `${READER_GROUP}-view`, role: 'view', subjects: [{ kind: 'Group' as const, name: READER_GROUP }], verbs: ['get', 'list'], resources: ['*'] };
const SELF_REVIEW = '/apis/authentication.k8s.io/v1/selfsubjectreviews';
const ACCESS_REVIEW = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

let dir: string;
let auditLogPath: string;
let issuer: StartedIssuer;
let shortIssuer: StartedIssuer;
let kube: StartedKubeApiServer;
let kubeShort: StartedKubeApiServer;
let kubeTenantIdp: StartedKubeApiServer;
const kubeLog: string[] = [];
const serviceAccountToken = `sa-${randomBytes(24).toString('base64url')}`;
const tokens: Record<string, string> = {};
const idTokenFor = async (from: StartedIssuer, c: typeof BACKSTAGE, userId: string) => (await signInWithAuthorizationCode({ ...from, client: c, userId })).id_token;

/** GET against a stand-in, or POST `body`; `token` undefined sends no Authorization header. */
async function get(pathAndQuery: string, token?: string, server = kube, body?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const response = await fetch(`${server.url}${pathAndQuery}`, { method: body === undefined ? 'GET' : 'POST', headers, body });
  const json = response.headers.get('content-type')?.startsWith('application/json');
  return { status: response.status, body: json ? await response.json() : await response.text() };
}
/** POST `body` as JSON. */
const post = (pathAndQuery: string, body: unknown, token?: string, server = kube) => get(pathAndQuery, token, server, JSON.stringify(body));

before(async () => {
  dir = createTemporaryDirectory('kube-test');
  auditLogPath = path.join(dir, 'audit.jsonl');
  const log = (line: string) => kubeLog.push(line);
  issuer = await startIssuer({ clients: [registered(BACKSTAGE), registered(OTHER_APP)], users: USERS, log: () => {} });
  // Another issuer (same tenant path, other port), whose tokens expire in 2 s.
  shortIssuer = await startIssuer({ clients: [registered(BACKSTAGE)], users: USERS, idTokenTtlSeconds: 2, log: () => {} });
  kube = await startKubeApiServer({
    name: 'standin-a',
    oidc: { issuerUrl: issuer.issuer, clientId: CLIENT_ID },
    serviceAccountToken,
    bindings: [readers, { name: 'serviceaccounts-pods', role: 'pod-reader', subjects: [{ kind: 'Group', name: 'system:serviceaccounts' }], verbs: ['get', 'list'], resources: ['pods'] }],
    fixtures: demoFixtures(COMPONENT),
    auditLogPath,
    log,
  });
  kubeShort = await startKubeApiServer({ name: 'standin-short', oidc: { issuerUrl: shortIssuer.issuer, clientId: CLIENT_ID }, bindings: [readers], fixtures: [], auditLogPath, log });
  kubeTenantIdp = await startKubeApiServer({ name: TENANT_IDP_CLUSTER, oidc: TENANT_IDP_TRUST, bindings: [readers], fixtures: [], auditLogPath, log });
  [tokens.alice, tokens.bob, tokens.carol, tokens.otherAudience, tokens.otherIssuer] = await Promise.all([
    idTokenFor(issuer, BACKSTAGE, ALICE.id),
    idTokenFor(issuer, BACKSTAGE, BOB.id),
    idTokenFor(issuer, BACKSTAGE, CAROL.id),
    idTokenFor(issuer, OTHER_APP, ALICE.id),
    idTokenFor(shortIssuer, BACKSTAGE, ALICE.id),
  ]);
});

after(async () => {
  await Promise.all([kube?.close(), kubeShort?.close(), kubeTenantIdp?.close(), issuer?.close(), shortIssuer?.close()]);
  removeTemporaryDirectory(dir);
});

test("alice's ID token lists the component's pods, and reads their logs", async () => {
  const { status, body } = await get(PODS, tokens.alice);
  assert.equal(status, 200);
  assert.deepEqual([body.kind, body.apiVersion, body.metadata], ['PodList', 'v1', { resourceVersion: '1' }]);
  assert.deepEqual(
    body.items.map((pod: any) => [pod.metadata.namespace, pod.metadata.labels['backstage.io/kubernetes-id'], pod.status.phase]),
    [['demo', COMPONENT, 'Running'], ['demo', COMPONENT, 'Running']],
  );
  const log = await get(`/api/v1/namespaces/demo/pods/${body.items[0].metadata.name}/log`, tokens.alice);
  assert.equal(log.status, 200);
  assert.match(log.body, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO {2}web: starting/);
});

test('RBAC: 403 Status worded like kube; the bindings of groups and the service account apply', async () => {
  assert.deepEqual(await get(PODS, tokens.bob), {
    status: 403,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods is forbidden: User "bob@example.com" cannot list resource "pods" in API group "" at the cluster scope',
      reason: 'Forbidden',
      details: { group: '', kind: 'pods' },
      code: 403,
    },
  });
  assert.equal(
    (await get('/api/v1/namespaces/demo/pods/anything/log', tokens.bob)).body.message,
    'pods "anything" is forbidden: User "bob@example.com" cannot get resource "pods/log" in API group "" in the namespace "demo"',
  );
  assert.equal((await get(PODS, serviceAccountToken)).body.items.length, 2);
});

test('401 for no, garbage, forged, HS256, other-audience, other-issuer and unverified tokens, and from exp on', async () => {
  const now = Math.floor(Date.now() / 1000);
  const signed = (alg: string) =>
    new SignJWT({ email: ALICE.email, email_verified: true, groups: [READER_GROUP] }).setProtectedHeader({ alg }).setIssuer(issuer.issuer).setAudience(CLIENT_ID).setIssuedAt(now).setExpirationTime(now + 600);
  tokens.forged = await signed('RS256').sign((await generateKeyPair('RS256')).privateKey);
  tokens.hs256 = await signed('HS256').sign(randomBytes(32));
  for (const token of [undefined, 'definitely-not-a-jwt', tokens.forged, tokens.hs256, tokens.otherAudience, tokens.otherIssuer, tokens.carol]) {
    assert.deepEqual(await get(PODS, token), { status: 401, body: UNAUTHORIZED });
  }
  // kube's OIDC authenticator allows no clock leeway.
  tokens.expiring = await idTokenFor(shortIssuer, BACKSTAGE, ALICE.id);
  assert.equal((await get(PODS, tokens.expiring, kubeShort)).status, 200);
  await sleep(Math.max(0, decodeJwt(tokens.expiring).exp! * 1000 - Date.now() + 50));
  assert.deepEqual(await get(PODS, tokens.expiring, kubeShort), { status: 401, body: UNAUTHORIZED });
});

test('self reviews: who the token says the caller is, and whether RBAC lets them do what they ask', async () => {
  for (const version of ['v1', 'v1beta1']) {
    const apiVersion = `authentication.k8s.io/${version}`;
    assert.deepEqual(await post(`/apis/${apiVersion}/selfsubjectreviews`, { apiVersion, kind: 'SelfSubjectReview' }, tokens.alice), {
      status: 201,
      body: { kind: 'SelfSubjectReview', apiVersion, metadata: { creationTimestamp: null }, status: { userInfo: { username: ALICE.email, groups: [READER_GROUP, 'system:authenticated'] } } },
    });
  }
  const listPods = { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'list', resource: 'pods' } } };
  const reason = `RBAC: allowed by ClusterRoleBinding "${READER_GROUP}-view" of ClusterRole "view" to Group "${READER_GROUP}"`;
  assert.deepEqual(await post(ACCESS_REVIEW, listPods, tokens.alice), { status: 201, body: { ...listPods, metadata: { creationTimestamp: null }, status: { allowed: true, reason } } });
  assert.deepEqual(await post(ACCESS_REVIEW, listPods, tokens.bob), { status: 201, body: { ...listPods, metadata: { creationTimestamp: null }, status: { allowed: false } } });
});

test('self reviews: 401 without a token the cluster trusts (a Palette token where the tenant IdP is trusted)', async () => {
  const review = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };
  assert.deepEqual(await post(SELF_REVIEW, review), { status: 401, body: UNAUTHORIZED });
  assert.deepEqual(await post(SELF_REVIEW, review, tokens.alice, kubeTenantIdp), { status: 401, body: UNAUTHORIZED });
});

test('audit lines say who did what and how it was answered, naming tokens by fingerprint only', async () => {
  const raw = await readFile(auditLogPath, 'utf8');
  const lines: AuditRecord[] = raw.trimEnd().split('\n').map(line => JSON.parse(line));
  const alice = lines.find(line => line.user === ALICE.email && line.resource === 'pods' && line.code === 200)!;
  assert.deepEqual(
    { ...alice, time: Number.isNaN(Date.parse(alice.time)), tokenExpiresAt: Date.parse(alice.tokenExpiresAt!) / 1000, tokenFingerprint: /^[0-9a-f]{16}$/.test(alice.tokenFingerprint!) },
    { time: false, cluster: 'standin-a', user: ALICE.email, groups: [READER_GROUP, 'system:authenticated'], verb: 'list', resource: 'pods', namespace: null, name: null,
      path: PODS, code: 200, tokenIssuer: issuer.issuer, tokenAlg: 'RS256', tokenAudience: CLIENT_ID, tokenExpiresAt: decodeJwt(tokens.alice).exp, tokenFingerprint: true },
  );
  const podLog = lines.find(line => line.resource === 'pods/log' && line.code === 200);
  assert.deepEqual([podLog?.verb, podLog?.namespace, typeof podLog?.name], ['get', 'demo', 'string']);
  assert.deepEqual(lines.find(line => line.user === BOB.email && line.code === 403)?.groups, [...BOB.groups, 'system:authenticated']);
  assert.ok(lines.find(line => line.user === SERVICE_ACCOUNT_USER)?.groups?.includes('system:serviceaccounts'));
  const refused = lines.filter(line => line.code === 401);
  assert.ok(refused.length >= 8 && refused.every(line => line.user === null && line.groups === null));
  assert.ok(refused.some(line => line.tokenFingerprint === null), 'the request without a token');
  assert.ok(refused.some(line => line.cluster === 'standin-short' && line.authError?.includes('"exp"')), 'the expired token, with the reason');
  assert.ok(refused.some(line => line.authError === 'email not verified'));
  assert.ok(refused.some(line => line.cluster === TENANT_IDP_CLUSTER && line.authError === 'token issued by an untrusted issuer'), 'refused before any discovery');
  assert.deepEqual(lines.filter(line => line.user === BOB.email && line.resource === 'selfsubjectaccessreviews').map(line => [line.verb, line.code]), [['create', 201]]);
  const logText = kubeLog.join('\n');
  for (const secret of [...Object.values(tokens), serviceAccountToken]) {
    assert.ok(!raw.includes(secret) && !raw.includes(secret.split('.').at(-1)!), 'token text in the audit log');
    assert.ok(!logText.includes(secret), 'token text in the server log');
  }
});
