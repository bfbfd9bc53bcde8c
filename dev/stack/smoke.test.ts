// Starts the stack without the browser app, signs in over HTTP and checks
// that the OIDC cluster sees the user, the service-account cluster does not
// and the cluster that trusts another issuer refuses the token; then runs the
// README's config against every plausible Palette.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { BrowserlessClient, type BackstageSession } from './browserlessClient.ts';
import { ALICE, BOB, CLIENT_ID, COMPONENT, READER_GROUP, SECOND_ENVIRONMENT, SECOND_ENVIRONMENT_CLUSTER, TENANT_IDP_CLUSTER } from '../lib/demo.ts';
import type { PaletteVariant } from './issuer.ts';
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
    // The second Palette runs the README's environments config as written.
    stack = await startStack({ frontend: false, secondEnvironment: true });
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
    assert.ok(clusters[TENANT_IDP_CLUSTER].errors.length > 0);

    const all = auditLinesOf(sessions.alice.providerInfo.idToken);
    // The cluster that trusts the tenant's own IdP refuses the token.
    const refused = all.filter(line => line.cluster === TENANT_IDP_CLUSTER);
    assert.ok(refused.length > 0 && refused.every(line => line.code === 401 && line.user === null));
    const lines = all.filter(line => !refused.includes(line));
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

    const lines = auditLinesOf(sessions.bob.providerInfo.idToken).filter(line => line.cluster !== TENANT_IDP_CLUSTER);
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
      assert.deepEqual(await response.json(), { tokenProviders: ['spectrocloud', SECOND_ENVIRONMENT.tokenProviderName] });
    });
  });

  // Each way a real Palette may differ from the stand-in's defaults, and what
  // the README's config does with it: the second Palette's provider is the
  // README's environments config (no sign-in resolver, as the tab needs),
  // `spectrocloud` adds docs/app.md's sign-in resolver (the app's sign-in).
  describe('against every plausible Palette', () => {
    type Outcome = { tabSignIn: string; renewal: string; cluster: string; appSignIn: string };
    const works = { tabSignIn: 'works', renewal: 'works', cluster: '2 pods', appSignIn: 'works' };
    const variants: Array<[string, PaletteVariant, Outcome]> = [
      ['as the README assumes', {}, works],
      ['email_verified left out', { emailVerified: 'absent' }, works],
      [
        'email_verified false',
        { emailVerified: 'false' },
        { ...works, cluster: 'refused: 401 (the API server requires a verified email)', appSignIn: 'fails: Login failed, user profile does not contain an email' },
      ],
      // Renewal then needs a new sign-in, once per ID token.
      ['no refresh token', { refreshTokens: false }, { ...works, renewal: 'fails: HTTP 401' }],
      ['no groups claim', { groups: false }, { ...works, cluster: '0 pods: 403 (bindings to groups do not apply)' }],
    ];
    const table: string[] = [];
    after(() => console.log(['| Palette | tab sign-in | renewal | cluster (alice) | app sign-in |', '| --- | --- | --- | --- | --- |', ...table].join('\n')));

    const outcome = async <T,>(run: () => Promise<T>): Promise<[string, T | undefined]> => {
      try {
        return ['works', await run()];
      } catch (error) {
        return [`fails: ${(error as Error).message.replace(/^(sign-in did not complete|refresh failed): /, '')}`, undefined];
      }
    };

    const clusterSaw = (code: number | undefined, cluster: ClusterObjects) => {
      if (code === 401) return 'refused: 401 (the API server requires a verified email)';
      return `${pods(cluster).length} pods${code === 403 ? ': 403 (bindings to groups do not apply)' : ''}`;
    };

    variants.forEach(([name, variant, expected]) =>
      it(`${name}: ${Object.entries(expected).map(([k, v]) => `${k} ${v}`).join('; ')}`, async () => {
        stack.issuer!.setVariant(variant);
        stack.secondIssuer!.setVariant(variant);
        try {
          const tab = new BrowserlessClient();
          const provider = SECOND_ENVIRONMENT.authProvider;
          const [tabSignIn, session] = await outcome(() => tab.signIn({ backendUrl: stack.backendUrl, appUrl: stack.appUrl, userId: ALICE.id, provider }));
          const [renewal] = await outcome(() => tab.refresh(stack.backendUrl, provider));
          const mark = readAuditLog(stack.auditLogPath).length;
          const response = await fetch(`${stack.backendUrl}/api/kubernetes/services/${COMPONENT}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${sessions.alice.backstageIdentity.token}` },
            body: JSON.stringify({ entity, auth: { oidc: { [SECOND_ENVIRONMENT.tokenProviderName]: session?.providerInfo.idToken ?? '' } } }),
          });
          const cluster = ((await response.json()) as { items: ClusterObjects[] }).items.find(item => item.cluster.name === SECOND_ENVIRONMENT_CLUSTER)!;
          const lastLine = readAuditLog(stack.auditLogPath).slice(mark).filter(line => line.cluster === SECOND_ENVIRONMENT_CLUSTER).at(-1);
          const seen = clusterSaw(lastLine?.code, cluster);
          const [appSignIn] = await outcome(() => new BrowserlessClient().signIn({ backendUrl: stack.backendUrl, appUrl: stack.appUrl, userId: ALICE.id }));
          const actual = { tabSignIn, renewal, cluster: seen, appSignIn };
          table.push(`| ${name} | ${Object.values(actual).join(' | ')} |`);
          assert.deepEqual(actual, expected);
        } finally {
          stack.issuer!.setVariant({});
          stack.secondIssuer!.setVariant({});
        }
      }),
    );
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
