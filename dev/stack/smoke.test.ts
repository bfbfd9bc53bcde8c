// Starts the stack without the browser app, signs in over HTTP and checks
// that the OIDC cluster sees the user and the service-account cluster does not.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { BrowserlessClient, type BackstageSession } from './browserlessClient.ts';
import { ALICE, BOB, CLIENT_ID, COMPONENT, READER_GROUP } from '../lib/demo.ts';
import { readAuditLog, tokenFingerprint } from './kube-apiserver/auditLog.ts';
import { SERVICE_ACCOUNT_USER } from './kube-apiserver/authentication.ts';
import { startStack, type Stack } from './stack.ts';
import { signInMessage, TOKEN_PROVIDERS_PATH } from '../../backend/src/module.ts';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: COMPONENT, namespace: 'default', annotations: { 'backstage.io/kubernetes-id': COMPONENT } },
  spec: { type: 'service', lifecycle: 'production', owner: `group:default/${READER_GROUP}` },
};

interface ClusterObjects {
  cluster: { name: string };
  errors: unknown[];
  resources: { type: string; resources: { metadata: { name: string; namespace: string } }[] }[];
}

describe('the development stack', { timeout: 240_000 }, () => {
  let stack: Stack;
  const sessions: Record<string, BackstageSession> = {};

  before(async () => {
    stack = await startStack({ frontend: false });
    for (const user of [ALICE, BOB]) {
      const client = new BrowserlessClient();
      await client.signIn({ backendUrl: stack.backendUrl, appUrl: stack.appUrl, userId: user.id });
      sessions[user.id] = await client.refresh(stack.backendUrl);
    }
  });

  after(async () => {
    await stack?.stop();
  });

  const objectsFor = async (userId: string, idToken = sessions[userId].providerInfo.idToken) => {
    const session = sessions[userId];
    const response = await fetch(`${stack.backendUrl}/api/kubernetes/services/${COMPONENT}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.backstageIdentity.token}` },
      body: JSON.stringify({ entity, auth: { oidc: { spectrocloud: idToken } } }),
    });
    assert.equal(response.status, 200);
    const { items } = (await response.json()) as { items: ClusterObjects[] };
    return Object.fromEntries(items.map(item => [item.cluster.name, item]));
  };

  const pods = (cluster: ClusterObjects) => cluster.resources.find(r => r.type === 'pods')?.resources ?? [];
  const auditLinesOf = (idToken: string) => readAuditLog(stack.auditLogPath).filter(line => line.tokenFingerprint === tokenFingerprint(idToken));

  it('signs users in through the SpectroCloud stand-in and hands out RS256 ID tokens', () => {
    for (const [userId, session] of Object.entries(sessions)) {
      const [header, payload] = session.providerInfo.idToken
        .split('.')
        .slice(0, 2)
        .map(part => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
      assert.equal(header.alg, 'RS256');
      assert.equal(payload.iss, stack.issuer!.issuer);
      assert.equal(payload.aud, CLIENT_ID);
      assert.equal(payload.email, `${userId}@example.com`);
      assert.equal(session.backstageIdentity.identity.userEntityRef, `user:default/${userId}`);
    }
  });

  it("shows the permitted user the OIDC cluster's pods as themselves", async () => {
    const clusters = await objectsFor(ALICE.id);
    assert.deepEqual(clusters['palette-dev'].errors, []);
    assert.equal(pods(clusters['palette-dev']).length, 2);
    assert.equal(pods(clusters['shared-sa']).length, 2);

    const lines = auditLinesOf(sessions.alice.providerInfo.idToken);
    assert.ok(lines.length > 0, "the OIDC cluster saw the user's token");
    for (const line of lines) {
      assert.equal(line.cluster, 'palette-dev');
      assert.equal(line.user, ALICE.email);
      assert.deepEqual(line.groups?.filter(group => group === READER_GROUP), [READER_GROUP]);
      assert.equal(line.code, 200);
    }
    assert.ok(lines.some(line => line.verb === 'list' && line.resource === 'pods'));
  });

  it('denies the user without a binding on the OIDC cluster, and the service-account cluster still shows', async () => {
    const clusters = await objectsFor(BOB.id);
    assert.equal(pods(clusters['palette-dev']).length, 0);
    assert.ok(clusters['palette-dev'].errors.length > 0);
    assert.equal(pods(clusters['shared-sa']).length, 2);

    const lines = auditLinesOf(sessions.bob.providerInfo.idToken);
    assert.ok(lines.length > 0);
    assert.ok(lines.every(line => line.user === BOB.email && line.code === 403));
  });

  it('sends the service-account cluster only its own credentials', () => {
    const userTokens = new Set(Object.values(sessions).map(s => tokenFingerprint(s.providerInfo.idToken)));
    const shared = readAuditLog(stack.auditLogPath).filter(line => line.cluster === 'shared-sa');
    assert.ok(shared.length > 0);
    for (const line of shared) {
      assert.equal(line.user, SERVICE_ACCOUNT_USER);
      assert.equal(userTokens.has(line.tokenFingerprint!), false);
    }
  });

  it("reaches pod logs through the proxy with the user's identity", async () => {
    const clusters = await objectsFor(ALICE.id);
    const pod = pods(clusters['palette-dev'])[0];
    const response = await fetch(
      `${stack.backendUrl}/api/kubernetes/proxy/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/log`,
      {
        headers: {
          authorization: `Bearer ${sessions.alice.backstageIdentity.token}`,
          'backstage-kubernetes-cluster': 'palette-dev',
          'backstage-kubernetes-authorization-oidc-spectrocloud': sessions.alice.providerInfo.idToken,
        },
      },
    );
    assert.equal(response.status, 200);
    assert.ok((await response.text()).length > 0);
    const last = readAuditLog(stack.auditLogPath)
      .filter(line => line.resource === 'pods/log')
      .at(-1);
    assert.equal(last?.user, ALICE.email);
    assert.equal(last?.tokenFingerprint, tokenFingerprint(sessions.alice.providerInfo.idToken));
  });

  describe("with this repository's Kubernetes backend module", () => {
    const paletteDevLines = () => readAuditLog(stack.auditLogPath).filter(line => line.cluster === 'palette-dev').length;

    it('shows the other clusters to a request without the SpectroCloud token, and sends palette-dev no request', async () => {
      const linesBefore = paletteDevLines();
      const clusters = await objectsFor(ALICE.id, '');
      assert.equal(pods(clusters['shared-sa']).length, 2);
      assert.deepEqual(clusters['palette-dev'].errors, [{ errorType: 'FETCH_ERROR', message: signInMessage('SpectroCloud') }]);
      assert.equal(paletteDevLines(), linesBefore);
    });

    it('keeps the proxy behind pod logs strict: no token, no request', async () => {
      const linesBefore = paletteDevLines();
      const response = await fetch(`${stack.backendUrl}/api/kubernetes/proxy/api/v1/namespaces/default/pods`, {
        headers: { authorization: `Bearer ${sessions.alice.backstageIdentity.token}`, 'backstage-kubernetes-cluster': 'palette-dev' },
      });
      assert.ok(response.status >= 400, `status ${response.status}`);
      assert.equal(paletteDevLines(), linesBefore);
    });

    it('tells the frontend module which token providers it serves', async () => {
      const response = await fetch(`${stack.backendUrl}/api/kubernetes${TOKEN_PROVIDERS_PATH}`, {
        headers: { authorization: `Bearer ${sessions.alice.backstageIdentity.token}` },
      });
      assert.deepEqual(await response.json(), { tokenProviders: ['spectrocloud'] });
    });
  });

  it('never writes token text to the audit log or the backend log', () => {
    const audit = fs.readFileSync(stack.auditLogPath, 'utf8');
    const backendLog = fs.readFileSync(stack.backendLog, 'utf8');
    for (const session of Object.values(sessions)) {
      assert.equal(audit.includes(session.providerInfo.idToken), false);
      assert.equal(backendLog.includes(session.providerInfo.idToken), false);
    }
  });
});
