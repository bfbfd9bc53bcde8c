// Two SpectroCloud environments, and the catalog-declared cluster, listed in
// allowedCatalogClusterUrls: the other scenarios look at the config and
// supplied clusters only.
import assert from 'node:assert/strict';

import type { Page } from '@playwright/test';

import { signInDialog, signInFromDialog, signInWithSpectroCloud, signOutFromSettings } from '../../lib/browser.ts';
import { ALICE, BOB, CATALOG_CLUSTER, SECOND_ENVIRONMENT, SECOND_ENVIRONMENT_CLUSTER as EU } from '../../lib/demo.ts';
import type { AuditRecord } from '../kube-apiserver/auditLog.ts';
import type { Stack } from '../stack.ts';
import {
  accessRow, openAccessPage, sentIdTokens, tokenShown, DEFAULT_TTL_SECONDS, keepTabOpen, LONG_SESSION_LIFETIMES, LONG_SESSION_SECONDS, LONG_SESSION_TTL_SECONDS, POLL_SECONDS, auditSince, distinctTokens, openKubernetesTab,
  openWarnings, pods, rejectSignIn, report, shot, signInMessage, signInAndOpenTab, stackTest,
} from './fixtures.ts';

const test = stackTest({ secondEnvironment: true, catalogCluster: true, allowCatalogCluster: true });

/** Audit lines counted per cluster, as `cluster: n` joined by commas; 'none' for none. */
function perCluster(lines: AuditRecord[]): string {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line.cluster, (counts.get(line.cluster) ?? 0) + 1);
  return [...counts].map(([cluster, count]) => `${cluster}: ${count}`).join(', ') || 'none';
}

/** Alice, signed in to the default Palette by the sign-in page and to the second from the tab's dialog. */
async function signInToBoth(page: Page, stack: Stack) {
  const mark = await signInAndOpenTab(page, stack, ALICE.id);
  await signInDialog(page).getByText(SECOND_ENVIRONMENT.title, { exact: true }).first().waitFor();
  await signInFromDialog(page, ALICE.id);
  await pods(page).waitFor();
  await pods(page, EU).waitFor();
  return mark;
}

/** The audit lines of each Palette's cluster since `mark`, and those not as alice with a token of that cluster's own issuer. */
function linesPerEnvironment(stack: Stack, mark: number) {
  return [
    { cluster: 'palette-dev', issuer: stack.issuer!.issuer },
    { cluster: EU, issuer: stack.secondIssuer!.issuer },
  ].map(({ cluster, issuer }) => {
    const own = auditSince(stack, mark, cluster);
    return { cluster, issuer, own, foreign: own.filter(line => line.tokenIssuer !== issuer || line.user !== ALICE.email || line.code !== 200) };
  });
}

test("11. a user of both Palettes signs in to each and sees both clusters' pods; each cluster sees the user from its own issuer only", async ({ page, stack, recorded }) => {
  const mark = await signInToBoth(page, stack);
  await shot(page, '11-two-environments');

  const perEnvironment = linesPerEnvironment(stack, mark);
  for (const { cluster, own, foreign } of perEnvironment) {
    assert.ok(own.some(line => line.resource === 'pods' && line.code === 200), `${cluster} listed pods`);
    assert.deepEqual(foreign, [], `${cluster} saw only alice with its own issuer's token`);
  }
  // Each token in the objects requests' bodies is of its own provider's issuer.
  const bodies = recorded.requests.filter(request => request.url.includes('/api/kubernetes/services/')).map(request => JSON.parse(request.body).auth.oidc);
  const issuerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).iss;
  const expected: [string, string][] = [
    ['spectrocloud', stack.issuer!.issuer],
    [SECOND_ENVIRONMENT.tokenProviderName, stack.secondIssuer!.issuer],
  ];
  // Before the second sign-in, the request went on without that token ('').
  const sent = bodies.flatMap(oidc => expected.filter(([name]) => oidc[name]).map(([name, issuer]) => ({ name, issuer, actual: issuerOf(oidc[name]) })));
  const crossed = sent.filter(({ issuer, actual }) => issuer !== actual);
  assert.ok(sent.some(({ name }) => name === SECOND_ENVIRONMENT.tokenProviderName));
  assert.deepEqual(crossed, []);
  report('two environments', [
    ...perEnvironment.map(({ cluster, issuer, own }) => `${cluster}: 2 pods; ${own.length} requests, all as ${ALICE.email} with tokens of ${issuer}`),
    `${sent.length} tokens in ${bodies.length} objects requests checked: each under its own environment's name, from its own issuer; none crossed`,
  ]);
});

test("12. a user who dismisses one environment's sign-in is told which environment, and sees the other", async ({ page, stack }) => {
  await signInAndOpenTab(page, stack, ALICE.id);
  await signInDialog(page).getByText(SECOND_ENVIRONMENT.title, { exact: true }).first().waitFor();
  await rejectSignIn(page);
  await pods(page).waitFor();
  await openWarnings(page);
  const message = signInMessage(SECOND_ENVIRONMENT.title);
  await page.getByText(message).first().waitFor();
  await shot(page, '12-second-environment-dismissed');
  report('one environment dismissed', [`palette-dev shows 2 pods; ${EU} says "${message}"`]);
});

test(`13. a session across ${LONG_SESSION_LIFETIMES} ID-token lifetimes of both Palettes at once: no prompt, no expired token, both clusters' pods stay`, async ({ page, stack }) => {
  const issuers = [stack.issuer!, stack.secondIssuer!];
  issuers.forEach(issuer => issuer.setTokenLifetime(LONG_SESSION_TTL_SECONDS));
  try {
    const mark = await signInToBoth(page, stack);
    const { prompts, podsMissing, checks } = await keepTabOpen(page, LONG_SESSION_SECONDS, { clusters: ['palette-dev', EU] });
    const perEnvironment = linesPerEnvironment(stack, mark);
    for (const { cluster, own, foreign } of perEnvironment) {
      assert.deepEqual(foreign, [], `${cluster}: no expired or foreign token`);
      assert.ok(distinctTokens(own) >= LONG_SESSION_LIFETIMES, `${cluster}: ${distinctTokens(own)} distinct tokens`);
    }
    assert.equal(podsMissing, 0);
    assert.equal(prompts, 0);
    report('long session, two environments', [
      `tab open ${LONG_SESSION_SECONDS} s with ID tokens of ${LONG_SESSION_TTL_SECONDS} s from both issuers, no reload`,
      ...perEnvironment.map(({ cluster, own }) => `${cluster}: ${distinctTokens(own)} distinct ID tokens, ${own.length} requests, all answered 200`),
      `prompts ${prompts}, pods missing at ${podsMissing} of ${checks} checks`,
    ]);
  } finally {
    issuers.forEach(issuer => issuer.setTokenLifetime(DEFAULT_TTL_SECONDS));
  }
});

test('14. one browser, two people: once alice signs out on the settings page and bob signs in, no cluster gets a request as alice', async ({ page, stack }) => {
  const start = await signInToBoth(page, stack);
  let signedOut = 0;
  await signOutFromSettings(page, stack.appUrl, async () => {
    await shot(page, '14a-settings-sign-out', 'disabled');
    signedOut = auditSince(stack).length;
  });
  const beforeSignOut = auditSince(stack).slice(start, signedOut);

  // Bob, in the same browser context, signs in and opens the tab; he has no
  // session with the second Palette, and rejects its sign-in.
  await signInWithSpectroCloud(page, stack.appUrl, BOB.id);
  await openKubernetesTab(page, stack);
  // Each sign-in dialog he sees, by the Palettes it names.
  const dialogs: string[] = [];
  let dialogShown = false;
  // Until the tab shows (within a minute), then one more of its requests.
  let deadline = Date.now() + 60_000;
  let tabShown = false;
  for (; Date.now() < deadline; await page.waitForTimeout(1000)) {
    const dialogVisible = await signInDialog(page).isVisible();
    if (dialogVisible && !dialogShown) {
      const text = (await signInDialog(page).textContent()) ?? '';
      dialogs.push(text.includes(SECOND_ENVIRONMENT.title) ? SECOND_ENVIRONMENT.title : 'SpectroCloud');
      await rejectSignIn(page);
    }
    dialogShown = dialogVisible;
    if (!tabShown && (await pods(page, 'shared-sa').isVisible())) {
      tabShown = true;
      deadline = Date.now() + POLL_SECONDS * 1000;
    }
  }
  assert.ok(tabShown, "bob's tab showed shared-sa's pods");
  await shot(page, '14b-second-user');

  const log = auditSince(stack);
  const aliceTokens = new Set(log.filter(line => line.user === ALICE.email).map(line => line.tokenFingerprint));
  const afterSignOut = log.slice(signedOut);
  const asAlice = (lines: AuditRecord[]) => lines.filter(line => line.user === ALICE.email || aliceTokens.has(line.tokenFingerprint));
  const aliceAfter = asAlice(afterSignOut);
  const bobAfter = afterSignOut.filter(line => line.user === BOB.email);
  const figures = [
    `before sign-out: ${asAlice(beforeSignOut).length} requests as ${ALICE.email} (${perCluster(asAlice(beforeSignOut))})`,
    `after sign-out: ${aliceAfter.length} requests as ${ALICE.email} or with her tokens (${perCluster(aliceAfter)}); ${bobAfter.length} as ${BOB.email} (${perCluster(bobAfter)})`,
    `sign-in dialogs bob saw (each rejected): ${dialogs.length}${dialogs.length ? ` (${dialogs.join(', ')})` : ''}`,
  ];
  assert.ok(asAlice(beforeSignOut).some(line => line.cluster === EU), `alice reached ${EU} before signing out`);
  assert.ok(bobAfter.length > 0, "bob's tab reached the clusters");
  assert.equal(aliceAfter.length, 0, `requests as alice after she signed out:\n${figures.join('\n')}`);
  report('one browser, two people, sign-out on the settings page', figures);
});

test(`16. a catalog-declared cluster whose URL allowedCatalogClusterUrls lists (${CATALOG_CLUSTER}) gets the user's token and shows the pods`, async ({ page, stack }) => {
  const mark = await signInAndOpenTab(page, stack, ALICE.id);
  await signInDialog(page).getByText(SECOND_ENVIRONMENT.title, { exact: true }).first().waitFor();
  await rejectSignIn(page);
  await pods(page, CATALOG_CLUSTER).waitFor();
  await shot(page, '16-allowed-catalog-cluster');

  const lines = auditSince(stack, mark, CATALOG_CLUSTER);
  const foreign = lines.filter(line => line.user !== ALICE.email || line.code !== 200 || line.tokenIssuer !== stack.issuer!.issuer);
  assert.ok(lines.length > 0);
  assert.deepEqual(foreign, []);
  report('an allowed catalog-declared cluster', [
    `${CATALOG_CLUSTER} at ${stack.catalogClusterUrl} (listed in allowedCatalogClusterUrls): 2 pods; ${lines.length} requests, all as ${ALICE.email} with tokens of ${stack.issuer!.issuer}`,
  ]);
});

test("21. signing out of the second Palette on the access page leaves the first one's session and clusters untouched", async ({ page, stack, recorded }) => {
  await signInToBoth(page, stack);
  await openAccessPage(page);
  await accessRow(page, EU).getByText(/^May list pods cluster-wide/).waitFor();
  await page.getByRole('button', { name: `Sign out of ${SECOND_ENVIRONMENT.title}` }).click();
  await accessRow(page, EU).getByText(`Not signed in with ${SECOND_ENVIRONMENT.title}: sign in above, then check again.`).waitFor();
  await accessRow(page, 'palette-dev').getByText(/^May list pods cluster-wide/).waitFor();
  const mark = auditSince(stack).length;
  await shot(page, '21-access-signed-out-of-second');
  const idTokens = sentIdTokens(recorded.requests);
  const issuers = new Set([...idTokens].map(token => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).iss));
  assert.equal(issuers.size, 2, "both Palettes' tokens to look for");
  assert.deepEqual(await tokenShown(page, { ...recorded, idTokens }), { page: false, console: 0, urls: 0 });

  // Back on the tab, which asks once for the second Palette's sign-in.
  await page.goBack();
  await signInDialog(page).getByText(SECOND_ENVIRONMENT.title, { exact: true }).first().waitFor();
  await rejectSignIn(page);
  await pods(page).waitFor();
  await page.waitForTimeout(POLL_SECONDS * 1000);
  await pods(page).waitFor();
  const afterwards = auditSince(stack, mark);
  const first = afterwards.filter(line => line.cluster === 'palette-dev');
  assert.ok(first.length > 0 && first.every(line => line.user === ALICE.email && line.code === 200), 'palette-dev goes on as alice');
  assert.deepEqual(afterwards.filter(line => line.cluster === EU && line.user), [], `${EU} gets no request as anyone`);
  report('access page, two Palettes', [
    `after "Sign out of ${SECOND_ENVIRONMENT.title}": ${EU} not signed in; palette-dev still answers as ${ALICE.email}`,
    `back on the tab, its one sign-in dialog for ${SECOND_ENVIRONMENT.title} rejected; over the next poll palette-dev got ${first.length} requests, all 200 as alice; ${EU} none with a user`,
  ]);
});
