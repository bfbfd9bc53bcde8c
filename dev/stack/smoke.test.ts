// Starts the stack without the browser app, signs in over HTTP and checks
// that the OIDC cluster sees the user, the service-account cluster does not
// and the cluster that trusts another issuer refuses the token; then runs the
// README's config against every plausible Palette.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { BrowserlessClient, type BackstageSession } from './browserlessClient.ts';
import { ALICE, BOB, COMPONENT, READER_GROUP, SECOND_ENVIRONMENT, SECOND_ENVIRONMENT_CLUSTER, TENANT_IDP_CLUSTER } from '../lib/demo.ts';
import type { PaletteVariant } from './issuer.ts';
import { readAuditLog, tokenFingerprint } from './kube-apiserver/auditLog.ts';
import { SERVICE_ACCOUNT_USER } from './kube-apiserver/authentication.ts';
import { startStack, type Stack } from './stack.ts';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: COMPONENT, namespace: 'default', annotations: { 'backstage.io/kubernetes-id': COMPONENT } },
  spec: { type: 'service', lifecycle: 'production', owner: `group:default/${READER_GROUP}` },
};

interface ClusterObjects {
  cluster: { name: string };
  errors: unknown[];
  resources: { type: string; resources: unknown[] }[];
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
      assert.equal(sessions[user.id].backstageIdentity.identity.userEntityRef, `user:default/${user.id}`);
    }
  });

  after(async () => {
    await stack?.stop();
  });

  // Alice's objects, with `oidc` as the tokens the frontend module adds.
  const objectsFor = async (oidc: Record<string, string> = { spectrocloud: sessions.alice.providerInfo.idToken }) => {
    const response = await fetch(`${stack.backendUrl}/api/kubernetes/services/${COMPONENT}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sessions.alice.backstageIdentity.token}` },
      body: JSON.stringify({ entity, auth: { oidc } }),
    });
    assert.equal(response.status, 200);
    const { items } = (await response.json()) as { items: ClusterObjects[] };
    return Object.fromEntries(items.map(item => [item.cluster.name, item]));
  };

  const pods = (cluster: ClusterObjects) => cluster.resources.find(r => r.type === 'pods')?.resources ?? [];

  it("shows the permitted user the OIDC cluster's pods as themselves, and the service-account cluster only its own credentials", async () => {
    const clusters = await objectsFor();
    assert.deepEqual(clusters['palette-dev'].errors, []);
    assert.deepEqual([pods(clusters['palette-dev']).length, pods(clusters['shared-sa']).length], [2, 2]);
    assert.ok(clusters[TENANT_IDP_CLUSTER].errors.length > 0);

    // The user's token reaches palette-dev, as the user, and the cluster that
    // trusts the tenant's own IdP, which refuses it; no other cluster.
    const audit = readAuditLog(stack.auditLogPath);
    const lines = audit.filter(line => line.tokenFingerprint === tokenFingerprint(sessions.alice.providerInfo.idToken));
    assert.ok(lines.some(line => line.cluster === 'palette-dev' && line.verb === 'list' && line.resource === 'pods'));
    assert.ok(lines.some(line => line.cluster === TENANT_IDP_CLUSTER));
    for (const { cluster, user, code, groups } of lines) {
      const readerGroups = groups?.filter(group => group === READER_GROUP);
      const expected = cluster === TENANT_IDP_CLUSTER ? [TENANT_IDP_CLUSTER, null, 401, undefined] : ['palette-dev', ALICE.email, 200, [READER_GROUP]];
      assert.deepEqual([cluster, user, code, readerGroups], expected);
    }

    const userTokens = new Set(Object.values(sessions).map(s => tokenFingerprint(s.providerInfo.idToken)));
    const shared = audit.filter(line => line.cluster === 'shared-sa');
    assert.ok(shared.length > 0);
    assert.deepEqual(shared.filter(line => line.user !== SERVICE_ACCOUNT_USER || userTokens.has(line.tokenFingerprint!)), [], 'shared-sa got a user or a user token');
  });

  it('keeps the proxy behind pod logs strict: no token, no request', async () => {
    const paletteDevLines = () => readAuditLog(stack.auditLogPath).filter(line => line.cluster === 'palette-dev').length;
    const linesBefore = paletteDevLines();
    const response = await fetch(`${stack.backendUrl}/api/kubernetes/proxy/api/v1/namespaces/default/pods`, {
      headers: { authorization: `Bearer ${sessions.alice.backstageIdentity.token}`, 'backstage-kubernetes-cluster': 'palette-dev' },
    });
    assert.ok(response.status >= 400, `status ${response.status}`);
    assert.equal(paletteDevLines(), linesBefore);
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
          const cluster = (await objectsFor({ [SECOND_ENVIRONMENT.tokenProviderName]: session?.providerInfo.idToken ?? '' }))[SECOND_ENVIRONMENT_CLUSTER];
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
