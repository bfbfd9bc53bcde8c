// Tests for the Kubernetes API stand-in, using real ID tokens from the issuer
// stand-in: authentication (OIDC + service account), RBAC, the list/get/log
// endpoints Backstage uses, and the audit log.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { decodeJwt, generateKeyPair, SignJWT } from 'jose';

import { signInWithAuthorizationCode } from './httpClient.mjs';
import { startIssuer } from './issuer.mjs';
import { demoFixtures, parseLabelSelector, startKubeApiServer } from './kube-apiserver.mjs';

const REDIRECT_URI = 'http://127.0.0.1:7007/api/auth/spectrocloud/handler/frame';
const BACKSTAGE = { client_id: 'backstage', client_secret: randomBytes(16).toString('hex'), redirect_uris: [REDIRECT_URI] };
const OTHER_APP = { client_id: 'other-app', client_secret: randomBytes(16).toString('hex'), redirect_uris: [REDIRECT_URI] };
const USERS = [
  { id: 'alice', email: 'alice@example.com', name: 'Alice Doe', groups: ['platform-readers'] },
  { id: 'bob', email: 'bob@example.com', name: 'Bob Roe', groups: ['developers'] },
  { id: 'carol', email: 'carol@example.com', name: 'Carol Unverified', groups: ['platform-readers'], emailVerified: false },
];
const SELECTOR = 'backstage.io/kubernetes-id=demo-service';
const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };
const silent = () => {};

async function tokensFor(issuer, client, userId) {
  const tokens = await signInWithAuthorizationCode({
    authorizationUrl: issuer.authorizationUrl,
    tokenUrl: issuer.tokenUrl,
    client: { client_id: client.client_id, client_secret: client.client_secret, redirect_uri: REDIRECT_URI },
    userId,
  });
  return tokens.id_token;
}

describe('Kubernetes API server stand-in', () => {
  let dir;
  let auditLogPath;
  let issuer;
  let shortIssuer;
  let kube;
  let kubeShort;
  const kubeLog = [];
  const serviceAccountToken = `sa-${randomBytes(24).toString('base64url')}`;
  const tokens = {};

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kube-standin-'));
    auditLogPath = join(dir, 'audit.jsonl');
    issuer = await startIssuer({ clients: [BACKSTAGE, OTHER_APP], users: USERS, log: silent });
    // A second issuer (same tenant path, other port) whose tokens expire in 2 s.
    shortIssuer = await startIssuer({ clients: [BACKSTAGE], users: USERS, idTokenTtlSeconds: 2, log: silent });

    kube = await startKubeApiServer({
      name: 'standin-a',
      oidc: { issuerUrl: issuer.issuer, clientId: BACKSTAGE.client_id },
      serviceAccountToken,
      bindings: [
        { subjects: [{ kind: 'Group', name: 'platform-readers' }], verbs: ['get', 'list', 'watch'], resources: ['*'] },
        { subjects: [{ kind: 'Group', name: 'system:serviceaccounts' }], verbs: ['get', 'list'], resources: ['pods', 'deployments'] },
        { subjects: [{ kind: 'User', name: 'bob@example.com' }], verbs: ['list'], resources: ['services'], namespaces: ['demo'] },
      ],
      fixtures: [...demoFixtures('demo-service'), ...demoFixtures('other-service')],
      auditLogPath,
      log: (line) => kubeLog.push(line),
    });
    // A cluster trusting the short-lived issuer, for the expiry test.
    kubeShort = await startKubeApiServer({
      name: 'standin-short',
      oidc: { issuerUrl: shortIssuer.issuer, clientId: BACKSTAGE.client_id },
      bindings: [{ subjects: [{ kind: 'Group', name: 'platform-readers' }], verbs: ['list'], resources: ['pods'] }],
      fixtures: demoFixtures('demo-service'),
      auditLogPath,
      log: (line) => kubeLog.push(line),
    });

    [tokens.alice, tokens.bob, tokens.carol, tokens.otherAudience, tokens.otherIssuer] = await Promise.all([
      tokensFor(issuer, BACKSTAGE, 'alice'),
      tokensFor(issuer, BACKSTAGE, 'bob'),
      tokensFor(issuer, BACKSTAGE, 'carol'),
      tokensFor(issuer, OTHER_APP, 'alice'),
      tokensFor(shortIssuer, BACKSTAGE, 'alice'),
    ]);
  });

  after(async () => {
    await Promise.all([kube?.close(), kubeShort?.close(), issuer?.close(), shortIssuer?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  /** GET against the stand-in; `token` undefined sends no Authorization header. */
  async function kubeGet(path, token, server = kube) {
    const res = await fetch(`${server.url}${path}`, {
      headers: { accept: 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    });
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, type, body: type.startsWith('application/json') ? await res.json() : await res.text() };
  }

  const listPath = (base) => `${base}?labelSelector=${encodeURIComponent(SELECTOR)}`;

  test("alice's ID token lists pods, filtered by labelSelector", async () => {
    const { status, body } = await kubeGet(listPath('/api/v1/pods'), tokens.alice);
    assert.equal(status, 200);
    assert.equal(body.kind, 'PodList');
    assert.equal(body.apiVersion, 'v1');
    assert.deepEqual(body.metadata, { resourceVersion: '1' });
    assert.equal(body.items.length, 2);
    for (const pod of body.items) {
      assert.equal(pod.kind, 'Pod');
      assert.equal(pod.metadata.namespace, 'demo');
      assert.equal(pod.metadata.labels['backstage.io/kubernetes-id'], 'demo-service');
      assert.equal(pod.status.phase, 'Running');
      assert.ok(pod.status.containerStatuses.every((c) => c.ready));
    }

    const all = await kubeGet('/api/v1/pods', tokens.alice);
    assert.equal(all.body.items.length, 4, 'no selector: both components');
    const none = await kubeGet(`/api/v1/pods?labelSelector=${encodeURIComponent('backstage.io/kubernetes-id=nope')}`, tokens.alice);
    assert.equal(none.body.items.length, 0);
  });

  test('the object types Backstage fetches are served, cluster-wide and per namespace', async () => {
    const expected = {
      '/api/v1/services': ['ServiceList', 1],
      '/api/v1/configmaps': ['ConfigMapList', 0],
      '/api/v1/limitranges': ['LimitRangeList', 0],
      '/api/v1/resourcequotas': ['ResourceQuotaList', 0],
      '/apis/apps/v1/deployments': ['DeploymentList', 1],
      '/apis/apps/v1/replicasets': ['ReplicaSetList', 1],
      '/apis/apps/v1/statefulsets': ['StatefulSetList', 0],
      '/apis/apps/v1/daemonsets': ['DaemonSetList', 0],
      '/apis/autoscaling/v2/horizontalpodautoscalers': ['HorizontalPodAutoscalerList', 1],
      '/apis/autoscaling/v1/horizontalpodautoscalers': ['HorizontalPodAutoscalerList', 1],
      '/apis/batch/v1/jobs': ['JobList', 0],
      '/apis/batch/v1/cronjobs': ['CronJobList', 0],
      '/apis/networking.k8s.io/v1/ingresses': ['IngressList', 0],
      '/api/v1/namespaces/demo/pods': ['PodList', 2],
      '/api/v1/namespaces/elsewhere/pods': ['PodList', 0],
      '/apis/apps/v1/namespaces/demo/deployments': ['DeploymentList', 1],
    };
    for (const [path, [kind, count]] of Object.entries(expected)) {
      const { status, body } = await kubeGet(listPath(path), tokens.alice);
      assert.equal(status, 200, path);
      assert.equal(body.kind, kind, path);
      assert.equal(body.items.length, count, path);
    }
    const hpaV1 = await kubeGet(listPath('/apis/autoscaling/v1/horizontalpodautoscalers'), tokens.alice);
    assert.equal(hpaV1.body.items[0].apiVersion, 'autoscaling/v1');
  });

  test('demo fixtures are linked by owner references like a real rollout', () => {
    const objects = demoFixtures('demo-service');
    const byKind = (k) => objects.filter((o) => o.kind === k);
    const [deployment] = byKind('Deployment');
    const [replicaSet] = byKind('ReplicaSet');
    assert.equal(deployment.spec.replicas, 2);
    assert.equal(replicaSet.metadata.ownerReferences[0].uid, deployment.metadata.uid);
    assert.equal(byKind('Pod').length, 2);
    assert.ok(byKind('Pod').every((p) => p.metadata.ownerReferences[0].uid === replicaSet.metadata.uid));
    assert.equal(byKind('HorizontalPodAutoscaler')[0].spec.scaleTargetRef.name, deployment.metadata.name);
    assert.equal(byKind('Service').length, 1);
    assert.ok(objects.every((o) => o.metadata.uid && o.metadata.creationTimestamp && o.metadata.namespace === 'demo'));
  });

  test('single get, pod log and 404s', async () => {
    const { body: list } = await kubeGet(listPath('/api/v1/pods'), tokens.alice);
    const podName = list.items[0].metadata.name;

    const pod = await kubeGet(`/api/v1/namespaces/demo/pods/${podName}`, tokens.alice);
    assert.equal(pod.status, 200);
    assert.equal(pod.body.metadata.name, podName);

    const log = await kubeGet(`/api/v1/namespaces/demo/pods/${podName}/log?tailLines=3`, tokens.alice);
    assert.equal(log.status, 200);
    assert.match(log.type, /^text\/plain/);
    const lines = log.body.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /);

    const missing = await kubeGet('/api/v1/namespaces/demo/pods/no-such-pod', tokens.alice);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.kind, 'Status');
    assert.equal(missing.body.message, 'pods "no-such-pod" not found');

    const unknown = await kubeGet('/apis/example.com/v1/widgets', tokens.alice);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.reason, 'NotFound');

    const version = await kubeGet('/version', tokens.alice);
    assert.equal(version.status, 200);
    assert.equal(version.body.major, '1');
    const apis = await kubeGet('/apis', tokens.alice);
    assert.ok(apis.body.groups.some((g) => g.name === 'apps'));
  });

  test('bob has no binding for pods: 403 Status worded like kube', async () => {
    const cluster = await kubeGet(listPath('/api/v1/pods'), tokens.bob);
    assert.equal(cluster.status, 403);
    assert.deepEqual(cluster.body, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'pods is forbidden: User "bob@example.com" cannot list resource "pods" in API group "" at the cluster scope',
      reason: 'Forbidden', details: { group: '', kind: 'pods' }, code: 403,
    });

    const namespaced = await kubeGet('/apis/apps/v1/namespaces/demo/deployments', tokens.bob);
    assert.equal(namespaced.status, 403);
    assert.equal(namespaced.body.message,
      'deployments is forbidden: User "bob@example.com" cannot list resource "deployments" in API group "apps" in the namespace "demo"');

    const podLog = await kubeGet('/api/v1/namespaces/demo/pods/anything/log', tokens.bob);
    assert.equal(podLog.body.message,
      'pods "anything" is forbidden: User "bob@example.com" cannot get resource "pods/log" in API group "" in the namespace "demo"');

    // His namespace-scoped binding covers services in demo only.
    assert.equal((await kubeGet('/api/v1/namespaces/demo/services', tokens.bob)).status, 200);
    assert.equal((await kubeGet('/api/v1/services', tokens.bob)).status, 403);
  });

  test('missing, garbage, forged, wrong-audience, wrong-issuer and unverified tokens get 401', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const claims = { email: 'alice@example.com', email_verified: true, groups: ['platform-readers'] };
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(issuer.issuer).setAudience(BACKSTAGE.client_id).setSubject('alice').setIssuedAt(now).setExpirationTime(now + 600)
      .sign(privateKey);
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer.issuer).setAudience(BACKSTAGE.client_id).setSubject('alice').setIssuedAt(now).setExpirationTime(now + 600)
      .sign(randomBytes(32));

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
      const { status, body } = await kubeGet(listPath('/api/v1/pods'), token);
      assert.equal(status, 401, label);
      assert.deepEqual(body, UNAUTHORIZED, label);
    }
  });

  test('an ID token is accepted until exp, then 401 (no clock leeway)', async () => {
    tokens.expiring = await tokensFor(shortIssuer, BACKSTAGE, 'alice');
    const fresh = await kubeGet(listPath('/api/v1/pods'), tokens.expiring, kubeShort);
    assert.equal(fresh.status, 200);

    const { exp } = decodeJwt(tokens.expiring);
    await sleep(Math.max(0, exp * 1000 - Date.now() + 50));
    const stale = await kubeGet(listPath('/api/v1/pods'), tokens.expiring, kubeShort);
    assert.equal(stale.status, 401);
    assert.deepEqual(stale.body, UNAUTHORIZED);
  });

  test('the service-account token authenticates as system:serviceaccount:default:backstage', async () => {
    const pods = await kubeGet(listPath('/api/v1/pods'), serviceAccountToken);
    assert.equal(pods.status, 200);
    assert.equal(pods.body.items.length, 2);
    const services = await kubeGet('/api/v1/services', serviceAccountToken);
    assert.equal(services.status, 403);
    assert.match(services.body.message, /User "system:serviceaccount:default:backstage" cannot list resource "services"/);
  });

  test('audit lines record who did what, with fingerprints and no token text', async () => {
    const raw = await readFile(auditLogPath, 'utf8');
    const lines = raw.trimEnd().split('\n').map((l) => JSON.parse(l));
    const pathOf = (l) => l.path.split('?')[0];

    const aliceList = lines.find((l) => l.user === 'alice@example.com' && pathOf(l) === '/api/v1/pods' && l.code === 200);
    assert.ok(aliceList, 'alice list recorded');
    assert.equal(aliceList.cluster, 'standin-a');
    assert.deepEqual(aliceList.groups, ['platform-readers', 'system:authenticated']);
    assert.equal(aliceList.verb, 'list');
    assert.equal(aliceList.resource, 'pods');
    assert.equal(aliceList.namespace, null);
    assert.equal(aliceList.tokenIssuer, issuer.issuer);
    assert.equal(aliceList.tokenAlg, 'RS256');
    assert.equal(aliceList.tokenAudience, 'backstage');
    assert.match(aliceList.tokenFingerprint, /^[0-9a-f]{16}$/);
    assert.ok(!Number.isNaN(Date.parse(aliceList.time)));

    const log = lines.find((l) => l.resource === 'pods/log' && l.code === 200);
    assert.equal(log.verb, 'get');
    assert.equal(log.namespace, 'demo');
    assert.ok(log.name);

    const bobDenied = lines.find((l) => l.user === 'bob@example.com' && l.code === 403 && l.resource === 'pods');
    assert.deepEqual(bobDenied.groups, ['developers', 'system:authenticated']);
    assert.equal(bobDenied.verb, 'list');

    const anonymous = lines.filter((l) => l.code === 401);
    assert.ok(anonymous.length >= 7);
    assert.ok(anonymous.every((l) => l.user === null && l.groups === null));
    assert.ok(anonymous.some((l) => l.tokenFingerprint === null), 'the no-token request');
    const expired = anonymous.find((l) => l.cluster === 'standin-short' && l.authError?.includes('"exp"'));
    assert.ok(expired, 'expired token recorded with its reason');
    assert.ok(anonymous.some((l) => l.authError === 'email not verified'));

    const sa = lines.find((l) => l.user === 'system:serviceaccount:default:backstage');
    assert.ok(sa.groups.includes('system:serviceaccounts'));

    const secrets = [...Object.values(tokens), serviceAccountToken];
    for (const secret of secrets) {
      assert.ok(!raw.includes(secret), 'token text in the audit log');
      assert.ok(!raw.includes(secret.split('.').at(-1)), 'token signature in the audit log');
    }
    const logText = kubeLog.join('\n');
    for (const secret of secrets) assert.ok(!logText.includes(secret), 'token text in the server log');
  });

  test('label selectors: equality, inequality, existence, ANDs', () => {
    const labels = { app: 'web', tier: 'frontend', 'backstage.io/kubernetes-id': 'demo-service' };
    const ok = (s) => parseLabelSelector(s)(labels);
    assert.ok(ok('app=web'));
    assert.ok(ok('app==web,tier=frontend'));
    assert.ok(ok('backstage.io/kubernetes-id=demo-service, app!=api'));
    assert.ok(ok('tier,!missing'));
    assert.ok(!ok('app=web,tier=backend'));
    assert.ok(!ok('!app'));
    assert.throws(() => parseLabelSelector('app in (web)'));
  });

  test('an invalid selector is a 400 Status', async () => {
    const { status, body } = await kubeGet(`/api/v1/pods?labelSelector=${encodeURIComponent('app in (a,b)')}`, tokens.alice);
    assert.equal(status, 400);
    assert.equal(body.reason, 'BadRequest');
  });
});

test('while the issuer is down tokens get 401; once it is up they work (discovery is retried)', async () => {
  // Learn a free port and the issuer URL it implies, then take the issuer down.
  const probe = await startIssuer({ clients: [BACKSTAGE], users: USERS, log: silent });
  const { issuer: issuerUrl, port } = probe;
  await probe.close();

  const log = [];
  const kube = await startKubeApiServer({
    name: 'standin-b',
    oidc: { issuerUrl, clientId: BACKSTAGE.client_id },
    bindings: [{ subjects: [{ kind: 'Group', name: 'platform-readers' }], verbs: ['list'], resources: ['pods'] }],
    fixtures: demoFixtures('demo-service'),
    log: (l) => log.push(l),
  });
  let revived;
  try {
    const now = Math.floor(Date.now() / 1000);
    const early = await new SignJWT({ email: 'alice@example.com', groups: ['platform-readers'] })
      .setProtectedHeader({ alg: 'RS256' }).setIssuer(issuerUrl).setAudience(BACKSTAGE.client_id).setExpirationTime(now + 300)
      .sign((await generateKeyPair('RS256')).privateKey);
    const down = await fetch(`${kube.url}/api/v1/pods`, { headers: { authorization: `Bearer ${early}` } });
    assert.equal(down.status, 401);

    revived = await startIssuer({ port, clients: [BACKSTAGE], users: USERS, log: silent });
    assert.equal(revived.issuer, issuerUrl);
    const token = await tokensFor(revived, BACKSTAGE, 'alice');
    const up = await fetch(`${kube.url}/api/v1/pods`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(up.status, 200);

    assert.ok(log.some((l) => l.includes('unauthenticated')));
    for (const t of [early, token]) assert.ok(!log.join('\n').includes(t), 'token text in the server log');
  } finally {
    await Promise.all([kube.close(), revived?.close()]);
  }
});
