// Tests for the Kubernetes API stand-in, using real ID tokens from the issuer
// stand-in: authentication (OIDC and service account), RBAC, the routes the
// Kubernetes backend uses, and the audit log.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { decodeJwt, generateKeyPair, SignJWT } from 'jose';

import { signInWithAuthorizationCode } from '../browserlessClient.ts';
import { ALICE, BOB, CLIENT_ID, COMPONENT, DEFAULT_BACKEND_PORT, READER_GROUP, spectroCloudRedirectUri, type DemoUser } from '../../lib/demo.ts';
import { startIssuer, type StartedIssuer } from '../issuer.ts';
import { HOST } from '../../lib/loopback.ts';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../../lib/temporaryDirectory.ts';
import type { AuditRecord } from './auditLog.ts';
import { SERVICE_ACCOUNT_USER } from './authentication.ts';
import { demoFixtures, parseLabelSelector } from './resourceStore.ts';
import { startKubeApiServer, type StartedKubeApiServer } from './server.ts';

const REDIRECT_URI = spectroCloudRedirectUri(`http://${HOST}:${DEFAULT_BACKEND_PORT}`);
const BACKSTAGE = { client_id: CLIENT_ID, client_secret: randomBytes(16).toString('hex'), redirect_uri: REDIRECT_URI };
const OTHER_APP = { client_id: 'other-app', client_secret: randomBytes(16).toString('hex'), redirect_uri: REDIRECT_URI };
const registered = (client: typeof BACKSTAGE) => ({ ...client, redirect_uris: [client.redirect_uri] });
const CAROL: DemoUser = { id: 'carol', email: 'carol@example.com', name: 'Carol Unverified', groups: [READER_GROUP], emailVerified: false };
const USERS = [ALICE, BOB, CAROL];
const SELECTOR = `backstage.io/kubernetes-id=${COMPONENT}`;
const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };
const silent = () => {};

async function idTokenFor(issuer: StartedIssuer, client: typeof BACKSTAGE, userId: string) {
  const tokens = await signInWithAuthorizationCode({ ...issuer, client, userId });
  return tokens.id_token;
}

/** GET against a stand-in; `token` undefined sends no Authorization header. */
async function kubeGet(server: StartedKubeApiServer, pathAndQuery: string, token?: string): Promise<{ status: number; type: string; body: any }> {
  const response = await fetch(`${server.url}${pathAndQuery}`, {
    headers: { accept: 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
  });
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, type, body: type.startsWith('application/json') ? await response.json() : await response.text() };
}

const listPath = (base: string) => `${base}?labelSelector=${encodeURIComponent(SELECTOR)}`;

describe('Kubernetes API server stand-in', () => {
  let dir: string;
  let auditLogPath: string;
  let issuer: StartedIssuer;
  let shortIssuer: StartedIssuer;
  let kube: StartedKubeApiServer;
  let kubeShort: StartedKubeApiServer;
  const kubeLog: string[] = [];
  const serviceAccountToken = `sa-${randomBytes(24).toString('base64url')}`;
  const tokens: Record<string, string> = {};
  const get = (pathAndQuery: string, token?: string) => kubeGet(kube, pathAndQuery, token);

  before(async () => {
    dir = createTemporaryDirectory('kube-test');
    auditLogPath = path.join(dir, 'audit.jsonl');
    issuer = await startIssuer({ clients: [registered(BACKSTAGE), registered(OTHER_APP)], users: USERS, log: silent });
    // A second issuer (same tenant path, other port) whose tokens expire in 2 s.
    shortIssuer = await startIssuer({ clients: [registered(BACKSTAGE)], users: USERS, idTokenTtlSeconds: 2, log: silent });

    kube = await startKubeApiServer({
      name: 'standin-a',
      oidc: { issuerUrl: issuer.issuer, clientId: BACKSTAGE.client_id },
      serviceAccountToken,
      bindings: [
        { subjects: [{ kind: 'Group', name: READER_GROUP }], verbs: ['get', 'list'], resources: ['*'] },
        { subjects: [{ kind: 'Group', name: 'system:serviceaccounts' }], verbs: ['get', 'list'], resources: ['pods', 'deployments'] },
        { subjects: [{ kind: 'User', name: BOB.email }], verbs: ['list'], resources: ['services'] },
      ],
      fixtures: [...demoFixtures(COMPONENT), ...demoFixtures('other-service')],
      auditLogPath,
      log: line => kubeLog.push(line),
    });
    // A cluster trusting the short-lived issuer, for the expiry test.
    kubeShort = await startKubeApiServer({
      name: 'standin-short',
      oidc: { issuerUrl: shortIssuer.issuer, clientId: BACKSTAGE.client_id },
      bindings: [{ subjects: [{ kind: 'Group', name: READER_GROUP }], verbs: ['list'], resources: ['pods'] }],
      fixtures: demoFixtures(COMPONENT),
      auditLogPath,
      log: line => kubeLog.push(line),
    });

    [tokens.alice, tokens.bob, tokens.carol, tokens.otherAudience, tokens.otherIssuer] = await Promise.all([
      idTokenFor(issuer, BACKSTAGE, ALICE.id),
      idTokenFor(issuer, BACKSTAGE, BOB.id),
      idTokenFor(issuer, BACKSTAGE, CAROL.id),
      idTokenFor(issuer, OTHER_APP, ALICE.id),
      idTokenFor(shortIssuer, BACKSTAGE, ALICE.id),
    ]);
  });

  after(async () => {
    await Promise.all([kube?.close(), kubeShort?.close(), issuer?.close(), shortIssuer?.close()]);
    removeTemporaryDirectory(dir);
  });

  test("alice's ID token lists pods, filtered by labelSelector", async () => {
    const { status, body } = await get(listPath('/api/v1/pods'), tokens.alice);
    assert.equal(status, 200);
    assert.equal(body.kind, 'PodList');
    assert.equal(body.apiVersion, 'v1');
    assert.deepEqual(body.metadata, { resourceVersion: '1' });
    assert.equal(body.items.length, 2);
    for (const pod of body.items) {
      assert.equal(pod.kind, 'Pod');
      assert.equal(pod.metadata.namespace, 'demo');
      assert.equal(pod.metadata.labels['backstage.io/kubernetes-id'], COMPONENT);
      assert.equal(pod.status.phase, 'Running');
      assert.ok(pod.status.containerStatuses.every((c: { ready: boolean }) => c.ready));
    }

    const all = await get('/api/v1/pods', tokens.alice);
    assert.equal(all.body.items.length, 4, 'no selector: both components');
    const none = await get(`/api/v1/pods?labelSelector=${encodeURIComponent('backstage.io/kubernetes-id=nope')}`, tokens.alice);
    assert.equal(none.body.items.length, 0);
  });

  test('the object types the Kubernetes backend lists are served', async () => {
    const expected = {
      '/api/v1/pods': ['PodList', 2],
      '/api/v1/services': ['ServiceList', 1],
      '/api/v1/configmaps': ['ConfigMapList', 0],
      '/api/v1/limitranges': ['LimitRangeList', 0],
      '/api/v1/resourcequotas': ['ResourceQuotaList', 0],
      '/apis/apps/v1/deployments': ['DeploymentList', 1],
      '/apis/apps/v1/replicasets': ['ReplicaSetList', 1],
      '/apis/apps/v1/statefulsets': ['StatefulSetList', 0],
      '/apis/apps/v1/daemonsets': ['DaemonSetList', 0],
      '/apis/autoscaling/v2/horizontalpodautoscalers': ['HorizontalPodAutoscalerList', 1],
      '/apis/batch/v1/jobs': ['JobList', 0],
      '/apis/batch/v1/cronjobs': ['CronJobList', 0],
      '/apis/networking.k8s.io/v1/ingresses': ['IngressList', 0],
    };
    for (const [base, [kind, count]] of Object.entries(expected)) {
      const { status, body } = await get(listPath(base), tokens.alice);
      assert.equal(status, 200, base);
      assert.equal(body.kind, kind, base);
      assert.equal(body.items.length, count, base);
    }
  });

  test('demo fixtures are linked by owner references like a real rollout', () => {
    const objects = demoFixtures(COMPONENT);
    const byKind = (kind: string) => objects.filter(o => o.kind === kind);
    const [deployment] = byKind('Deployment');
    const [replicaSet] = byKind('ReplicaSet');
    assert.equal(deployment.spec.replicas, 2);
    assert.equal(replicaSet.metadata.ownerReferences![0].uid, deployment.metadata.uid);
    assert.equal(byKind('Pod').length, 2);
    assert.ok(byKind('Pod').every(p => p.metadata.ownerReferences![0].uid === replicaSet.metadata.uid));
    assert.equal(byKind('HorizontalPodAutoscaler')[0].spec.scaleTargetRef.name, deployment.metadata.name);
    assert.equal(byKind('Service').length, 1);
    assert.ok(objects.every(o => o.metadata.uid && o.metadata.creationTimestamp && o.metadata.namespace === 'demo'));
  });

  test('pod logs, and 404 for what the backend never asks for', async () => {
    const { body: list } = await get(listPath('/api/v1/pods'), tokens.alice);
    const podName = list.items[0].metadata.name;

    const log = await get(`/api/v1/namespaces/demo/pods/${podName}/log?container=web`, tokens.alice);
    assert.equal(log.status, 200);
    assert.match(log.type, /^text\/plain/);
    const lines = log.body.trimEnd().split('\n');
    assert.equal(lines.length, 10);
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO {2}web: starting/);

    const otherContainer = await get(`/api/v1/namespaces/demo/pods/${podName}/log?container=sidecar`, tokens.alice);
    assert.equal(otherContainer.status, 400);
    assert.equal(otherContainer.body.message, `container sidecar is not valid for pod ${podName}`);

    const missing = await get('/api/v1/namespaces/demo/pods/no-such-pod/log', tokens.alice);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.kind, 'Status');
    assert.equal(missing.body.message, 'pods "no-such-pod" not found');

    for (const unserved of [`/api/v1/namespaces/demo/pods/${podName}`, '/api/v1/namespaces/demo/pods', '/apis/example.com/v1/widgets', '/version', '/apis']) {
      const { status, body } = await get(unserved, tokens.alice);
      assert.equal(status, 404, unserved);
      assert.equal(body.reason, 'NotFound', unserved);
    }
  });

  test('bob has no binding for pods: 403 Status worded like kube', async () => {
    const cluster = await get(listPath('/api/v1/pods'), tokens.bob);
    assert.equal(cluster.status, 403);
    assert.deepEqual(cluster.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods is forbidden: User "bob@example.com" cannot list resource "pods" in API group "" at the cluster scope',
      reason: 'Forbidden',
      details: { group: '', kind: 'pods' },
      code: 403,
    });

    const deployments = await get('/apis/apps/v1/deployments', tokens.bob);
    assert.equal(deployments.status, 403);
    assert.equal(
      deployments.body.message,
      'deployments is forbidden: User "bob@example.com" cannot list resource "deployments" in API group "apps" at the cluster scope',
    );

    const podLog = await get('/api/v1/namespaces/demo/pods/anything/log', tokens.bob);
    assert.equal(
      podLog.body.message,
      'pods "anything" is forbidden: User "bob@example.com" cannot get resource "pods/log" in API group "" in the namespace "demo"',
    );

    // His own binding covers listing services.
    assert.equal((await get('/api/v1/services', tokens.bob)).status, 200);
  });

  test('missing, garbage, forged, wrong-audience, wrong-issuer and unverified tokens get 401', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const claims = { email: ALICE.email, email_verified: true, groups: [READER_GROUP] };
    const signed = (alg: string) =>
      new SignJWT(claims).setProtectedHeader({ alg }).setIssuer(issuer.issuer).setAudience(BACKSTAGE.client_id).setSubject('alice').setIssuedAt(now).setExpirationTime(now + 600);
    const forged = await signed('RS256').sign(privateKey);
    const hs256 = await signed('HS256').sign(randomBytes(32));

    const cases = {
      'no token': undefined,
      garbage: 'definitely-not-a-jwt',
      'forged signature': forged,
      'HS256 token': hs256,
      'other audience': tokens.otherAudience,
      'email_verified false': tokens.carol,
      'another issuer': tokens.otherIssuer,
    };
    for (const [label, token] of Object.entries(cases)) {
      const { status, body } = await get(listPath('/api/v1/pods'), token);
      assert.equal(status, 401, label);
      assert.deepEqual(body, UNAUTHORIZED, label);
    }
  });

  test('an ID token is accepted until exp, then 401 (no clock leeway)', async () => {
    tokens.expiring = await idTokenFor(shortIssuer, BACKSTAGE, ALICE.id);
    const fresh = await kubeGet(kubeShort, listPath('/api/v1/pods'), tokens.expiring);
    assert.equal(fresh.status, 200);

    const { exp } = decodeJwt(tokens.expiring);
    await sleep(Math.max(0, exp! * 1000 - Date.now() + 50));
    const stale = await kubeGet(kubeShort, listPath('/api/v1/pods'), tokens.expiring);
    assert.equal(stale.status, 401);
    assert.deepEqual(stale.body, UNAUTHORIZED);
  });

  test(`the service-account token authenticates as ${SERVICE_ACCOUNT_USER}`, async () => {
    const pods = await get(listPath('/api/v1/pods'), serviceAccountToken);
    assert.equal(pods.status, 200);
    assert.equal(pods.body.items.length, 2);
    const services = await get('/api/v1/services', serviceAccountToken);
    assert.equal(services.status, 403);
    assert.match(services.body.message, /User "system:serviceaccount:default:backstage" cannot list resource "services"/);
  });

  test('audit lines record who did what, with fingerprints and no token text', async () => {
    const raw = await readFile(auditLogPath, 'utf8');
    const lines: AuditRecord[] = raw.trimEnd().split('\n').map(line => JSON.parse(line));
    const pathOf = (line: AuditRecord) => line.path.split('?')[0];

    const aliceList = lines.find(l => l.user === ALICE.email && pathOf(l) === '/api/v1/pods' && l.code === 200);
    assert.ok(aliceList, 'alice list recorded');
    assert.equal(aliceList.cluster, 'standin-a');
    assert.deepEqual(aliceList.groups, [READER_GROUP, 'system:authenticated']);
    assert.equal(aliceList.verb, 'list');
    assert.equal(aliceList.resource, 'pods');
    assert.equal(aliceList.namespace, null);
    assert.equal(aliceList.tokenIssuer, issuer.issuer);
    assert.equal(aliceList.tokenAlg, 'RS256');
    assert.equal(aliceList.tokenAudience, CLIENT_ID);
    assert.match(aliceList.tokenFingerprint!, /^[0-9a-f]{16}$/);
    assert.ok(!Number.isNaN(Date.parse(aliceList.time)));

    const log = lines.find(l => l.resource === 'pods/log' && l.code === 200);
    assert.equal(log?.verb, 'get');
    assert.equal(log?.namespace, 'demo');
    assert.ok(log?.name);

    const bobDenied = lines.find(l => l.user === BOB.email && l.code === 403 && l.resource === 'pods');
    assert.deepEqual(bobDenied?.groups, [...BOB.groups, 'system:authenticated']);
    assert.equal(bobDenied?.verb, 'list');

    const anonymous = lines.filter(l => l.code === 401);
    assert.ok(anonymous.length >= 7);
    assert.ok(anonymous.every(l => l.user === null && l.groups === null));
    assert.ok(anonymous.some(l => l.tokenFingerprint === null), 'the no-token request');
    const expired = anonymous.find(l => l.cluster === 'standin-short' && l.authError?.includes('"exp"'));
    assert.ok(expired, 'expired token recorded with its reason');
    assert.ok(anonymous.some(l => l.authError === 'email not verified'));

    const serviceAccount = lines.find(l => l.user === SERVICE_ACCOUNT_USER);
    assert.ok(serviceAccount?.groups?.includes('system:serviceaccounts'));

    const secrets = [...Object.values(tokens), serviceAccountToken];
    for (const secret of secrets) {
      assert.ok(!raw.includes(secret), 'token text in the audit log');
      assert.ok(!raw.includes(secret.split('.').at(-1)!), 'token signature in the audit log');
    }
    const logText = kubeLog.join('\n');
    for (const secret of secrets) assert.ok(!logText.includes(secret), 'token text in the server log');
  });

  test('label selectors: key=value requirements, all of which must hold', () => {
    const labels = { app: 'web', tier: 'frontend', 'backstage.io/kubernetes-id': COMPONENT };
    const selects = (selector: string) => parseLabelSelector(selector)(labels);
    assert.ok(selects('app=web'));
    assert.ok(selects('app==web,tier=frontend'));
    assert.ok(selects(`backstage.io/kubernetes-id=${COMPONENT}, app=web`));
    assert.ok(selects(''));
    assert.ok(!selects('app=web,tier=backend'));
    for (const unsupported of ['app in (web)', 'app!=api', 'tier', '!missing']) {
      assert.throws(() => parseLabelSelector(unsupported), /unable to parse requirement/, unsupported);
    }
  });

  test('an invalid selector is a 400 Status', async () => {
    const { status, body } = await get(`/api/v1/pods?labelSelector=${encodeURIComponent('app in (a,b)')}`, tokens.alice);
    assert.equal(status, 400);
    assert.equal(body.reason, 'BadRequest');
  });
});

test('while the issuer is down tokens get 401; once it is up they work (discovery is retried)', async () => {
  // Learn a free port and the issuer URL it implies, then take the issuer down.
  const probe = await startIssuer({ clients: [registered(BACKSTAGE)], users: USERS, log: silent });
  const { issuer: issuerUrl, port } = probe;
  await probe.close();

  const log: string[] = [];
  const kube = await startKubeApiServer({
    name: 'standin-b',
    oidc: { issuerUrl, clientId: BACKSTAGE.client_id },
    bindings: [{ subjects: [{ kind: 'Group', name: READER_GROUP }], verbs: ['list'], resources: ['pods'] }],
    fixtures: demoFixtures(COMPONENT),
    log: line => log.push(line),
  });
  let revived: StartedIssuer | undefined;
  try {
    const now = Math.floor(Date.now() / 1000);
    const early = await new SignJWT({ email: ALICE.email, groups: [READER_GROUP] })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(issuerUrl)
      .setAudience(BACKSTAGE.client_id)
      .setExpirationTime(now + 300)
      .sign((await generateKeyPair('RS256')).privateKey);
    assert.equal((await kubeGet(kube, '/api/v1/pods', early)).status, 401);

    revived = await startIssuer({ port, clients: [registered(BACKSTAGE)], users: USERS, log: silent });
    assert.equal(revived.issuer, issuerUrl);
    const token = await idTokenFor(revived, BACKSTAGE, ALICE.id);
    assert.equal((await kubeGet(kube, '/api/v1/pods', token)).status, 200);

    assert.ok(log.some(line => line.includes('unauthenticated')));
    for (const t of [early, token]) assert.ok(!log.join('\n').includes(t), 'token text in the server log');
  } finally {
    await Promise.all([kube.close(), revived?.close()]);
  }
});
