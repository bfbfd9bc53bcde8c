// Backstage's OIDC authenticator (which renews) with the backend module, and a
// SpectroCloud cluster that only a catalog entity declares, which
// allowedCatalogClusterUrls does not list; the other scenarios look at the
// config clusters only.
import assert from 'node:assert/strict';

import { clusterCard, enterAsGuest, signInDialog, signInFromDialog } from '../../lib/browser.ts';
import { ALICE, BOB, CATALOG_CLUSTER, CLIENT_ID, COMPONENT, READER_GROUP, TENANT_IDP_CLUSTER } from '../../lib/demo.ts';
import {
  accessRow, openAccessPage, sentIdTokens, tokenShown, DEFAULT_TTL_SECONDS, LONG_SESSION_LIFETIMES, LONG_SESSION_SECONDS, LONG_SESSION_TTL_SECONDS, POLL_SECONDS, auditSince, carryingToken, clusterErrorText,
  dialogsOverPolls, distinctTokens, keepTabOpen, oidcClusterLines, openKubernetesTab, openWarnings, pods, refreshCalls, rejectSignIn, report, signInMessage,
  shot, signInAndOpenTab, stackTest, startLongSession,
} from './fixtures.ts';

const test = stackTest({ catalogCluster: true });
// How many of the tab's polls a guest who rejected SpectroCloud sign-in watches.
const GUEST_POLLS = 3;

test("1. the permitted user sees the OIDC cluster's pods as themselves", async ({ page, stack }) => {
  const mark = await signInAndOpenTab(page, stack, ALICE.id);
  await pods(page).waitFor();
  await shot(page, '1-permitted-user');

  const oidcLines = auditSince(stack, mark, 'palette-dev');
  assert.ok(oidcLines.some(line => line.resource === 'pods' && line.verb === 'list' && line.code === 200));
  for (const line of oidcLines) {
    assert.equal(line.user, ALICE.email);
    assert.ok(line.groups?.includes(READER_GROUP));
    assert.equal(line.tokenAlg, 'RS256');
    assert.equal(line.tokenIssuer, stack.issuer!.issuer);
    assert.deepEqual([line.tokenAudience].flat(), [CLIENT_ID]);
  }
  report('permitted user', [
    'palette-dev shows 2 pods',
    `${oidcLines.length} palette-dev requests, all as ${ALICE.email} (groups ${oidcLines[0].groups!.join(', ')})`,
    `each carried an RS256 token from ${stack.issuer!.issuer} for client ${CLIENT_ID}`,
  ]);
});

test('2. the user without a binding is denied on the OIDC cluster; the service-account cluster still shows', async ({ page, stack }) => {
  const mark = await signInAndOpenTab(page, stack, BOB.id);
  await pods(page, 'shared-sa').waitFor();
  await pods(page, 'palette-dev', 0).waitFor();
  await openWarnings(page);
  const denied = page.getByText(/403|forbidden/i).first();
  await denied.waitFor();
  await shot(page, '2-denied-user');
  const shown = ((await denied.textContent()) ?? '').trim();

  const oidcLines = auditSince(stack, mark, 'palette-dev');
  assert.ok(oidcLines.length > 0);
  assert.ok(oidcLines.every(line => line.user === BOB.email && line.code === 403));
  report('denied user', [
    `palette-dev shows: ${shown.slice(0, 120)}`,
    'shared-sa shows 2 pods',
    `${oidcLines.length} palette-dev requests answered 403 for ${BOB.email}`,
  ]);
});

test('3. a guest who rejects SpectroCloud sign-in is asked once and sees the clusters that need no user token; signing in elsewhere brings the rest', async ({ context, page, stack, recorded }) => {
  await enterAsGuest(page, stack.appUrl);
  const mark = auditSince(stack).length;
  await openKubernetesTab(page, stack);
  await rejectSignIn(page);
  await pods(page, 'shared-sa').waitFor();
  await openWarnings(page);
  await page.getByText(signInMessage('SpectroCloud')).first().waitFor();
  await shot(page, '3a-guest-rejected');

  const { dialogs, polls, seconds } = await dialogsOverPolls(page, recorded.requests, GUEST_POLLS);
  const sharedShown = await pods(page, 'shared-sa').isVisible();
  const withoutToken = auditSince(stack, mark, 'palette-dev');
  assert.ok(polls >= GUEST_POLLS, 'the tab went on polling');
  assert.equal(dialogs, 0, 'no sign-in dialog after the guest rejected it');
  assert.ok(sharedShown, "shared-sa's pods still show");
  assert.deepEqual(withoutToken, [], 'palette-dev got no request');

  // The guest signs in with SpectroCloud in another tab, which asks once.
  const other = await context.newPage();
  await enterAsGuest(other, stack.appUrl);
  await openKubernetesTab(other, stack);
  await signInFromDialog(other, ALICE.id);
  await other.close();
  await pods(page).waitFor();
  await shot(page, '3b-guest-signed-in-elsewhere');
  report('a guest without a SpectroCloud session', [
    `after "Reject all": shared-sa shows 2 pods; palette-dev says "${signInMessage('SpectroCloud')}"`,
    `sign-in dialogs over the next ${GUEST_POLLS} polls of the tab (${seconds} s): ${dialogs}; palette-dev requests meanwhile: ${withoutToken.length}`,
    "after a SpectroCloud sign-in in another tab, palette-dev's pods show in this one with no reload",
  ]);
});

test("5. the token goes only to the backend's Kubernetes routes, never into a URL or the console", async ({ page, stack, recorded }) => {
  const { requests, consoleLines, idTokens } = recorded;
  await signInAndOpenTab(page, stack, ALICE.id);
  await pods(page).waitFor();
  await shot(page, '5-token-isolation');

  assert.ok(idTokens.size > 0, 'the page received an ID token');
  const { holdsToken, carrying } = carryingToken(requests, idTokens);
  const kubernetesRoutes = `${stack.backendUrl}/api/kubernetes/`;
  for (const request of carrying) {
    assert.equal(holdsToken(request.url), false, `token in URL of ${request.url.split('?')[0]}`);
    if (request.url.startsWith(kubernetesRoutes)) continue;
    // The published backend auth module keeps the ID token in its own
    // httpOnly refresh cookie, which the browser sends back only to that
    // provider's routes (the default one keeps a refresh token there).
    assert.ok(request.url.startsWith(`${stack.backendUrl}/api/auth/spectrocloud/`), `token sent to ${request.url.split('?')[0]}`);
    assert.ok(!holdsToken(request.body) && Object.entries(request.headers).every(([name, value]) => name === 'cookie' || !holdsToken(value)));
  }
  assert.equal(consoleLines.some(holdsToken), false);
  const toKubernetes = carrying.filter(r => r.url.startsWith(kubernetesRoutes));
  assert.ok(toKubernetes.length > 0);
  report('token isolation', [
    `${requests.length} requests captured; ${toKubernetes.length} carried the token, all to ${kubernetesRoutes}*`,
    `${carrying.length - toKubernetes.length} more carried it only in the backend auth module's refresh cookie to /api/auth/spectrocloud/*`,
    `no URL and none of ${consoleLines.length} console lines held it`,
  ]);
});

test('6. pod logs reach the OIDC cluster through the proxy as the user', async ({ page, stack }) => {
  const mark = await signInAndOpenTab(page, stack, ALICE.id);
  await pods(page).waitFor();
  await clusterCard(page, 'palette-dev').click();
  // The summary's text opens drawers; its chevron expands the pods table.
  await page.getByRole('button', { name: /Deployment/ }).first().locator('.MuiAccordionSummary-expandIcon').click();
  await page.getByRole('button').filter({ hasText: new RegExp(`^${COMPONENT}-[a-z0-9]+-[a-z0-9]+$`) }).first().click();
  await page.getByRole('button').filter({ hasText: /^Logs$/ }).first().click();
  await page.getByText(/logs on cluster palette-dev/).waitFor();
  await page.getByText(/listening on :8080/).waitFor();
  await shot(page, '6-pod-logs');

  const logLines = auditSince(stack, mark).filter(line => line.resource === 'pods/log');
  assert.ok(logLines.length > 0);
  for (const line of logLines) {
    assert.equal(line.cluster, 'palette-dev');
    assert.equal(line.user, ALICE.email);
    assert.equal(line.code, 200);
  }
  report('pod logs through the proxy', [`${logLines.length} pods/log request(s) on palette-dev as ${ALICE.email}, answered 200`]);
});

test(`7. a session across ${LONG_SESSION_LIFETIMES} ID-token lifetimes with the renewing backend: no prompt, no expired token, pods stay; after sign-out no request carries the user's token`, async ({ page, stack, recorded }) => {
  const { requests, idTokens } = recorded;
  stack.issuer!.setTokenLifetime(LONG_SESSION_TTL_SECONDS);
  try {
    const { mark, refreshMark, signIns } = await startLongSession(page, stack, requests);
    const { prompts, podsMissing, checks } = await keepTabOpen(page, LONG_SESSION_SECONDS);
    await shot(page, '7a-long-session-renewed');

    const { lines, unauthorized } = oidcClusterLines(stack, mark);
    const tokens = distinctTokens(lines.filter(line => line.user === ALICE.email));
    assert.equal(prompts + signIns - 1, 0, 'no sign-in prompt');
    assert.equal(unauthorized.length, 0, 'no request with an expired token');
    assert.ok(tokens >= LONG_SESSION_LIFETIMES, `${tokens} distinct ID tokens`);
    assert.equal(podsMissing, 0, 'the pods stayed on screen');
    report('long session, renewing backend (Backstage OIDC authenticator)', [
      `tab open ${LONG_SESSION_SECONDS} s with ID tokens of ${LONG_SESSION_TTL_SECONDS} s, no reload`,
      `${tokens} distinct ID tokens for alice in the audit log, ${lines.length} palette-dev requests`,
      `prompts ${prompts}, 401s ${unauthorized.length}, renewals (refresh calls) ${refreshCalls(requests, refreshMark)}, pods missing at 0 of ${checks} checks`,
    ]);

    // Signing out does what the app's sign-out does: the provider's logout,
    // then a new page load. Then a guest opens the tab.
    const signedOut = requests.length;
    const auditAtSignOut = auditSince(stack).length;
    const aliceTokens = new Set(auditSince(stack).filter(line => line.user === ALICE.email).map(line => line.tokenFingerprint));
    const logout = await page.evaluate(async backendUrl => {
      const init: RequestInit = { method: 'POST', headers: { 'x-requested-with': 'XMLHttpRequest' }, credentials: 'include' };
      return (await fetch(`${backendUrl}/api/auth/spectrocloud/logout?env=development`, init)).status;
    }, stack.backendUrl);
    assert.equal(logout, 200);
    await page.goto(stack.appUrl);
    await page.getByRole('button', { name: /enter/i }).click();
    await page.getByRole('link', { name: 'Catalog' }).first().waitFor();
    await openKubernetesTab(page, stack);
    await signInDialog(page).waitFor();
    await page.waitForTimeout(POLL_SECONDS * 1000);
    await shot(page, '7b-after-sign-out');

    const { carrying } = carryingToken(requests.slice(signedOut), idTokens);
    const reachedCluster = auditSince(stack, auditAtSignOut).filter(line => aliceTokens.has(line.tokenFingerprint));
    assert.equal(carrying.length, 0, "a request after sign-out carried alice's token");
    assert.equal(reachedCluster.length, 0);
    report('after sign-out', [
      `${requests.length - signedOut} requests in the ${POLL_SECONDS} s after sign-out, none with any of alice's ${idTokens.size} ID tokens; the tab asks for SpectroCloud sign-in`,
      `no audit line for any of alice's ${aliceTokens.size} tokens after sign-out`,
    ]);
  } finally {
    stack.issuer!.setTokenLifetime(DEFAULT_TTL_SECONDS);
  }
});

test(`15. a SpectroCloud cluster that only a catalog entity declares (${CATALOG_CLUSTER}) gets no user token and says why; palette-dev shows the pods`, async ({ page, stack }) => {
  const mark = await signInAndOpenTab(page, stack, ALICE.id);
  await pods(page).waitFor();
  // The same objects request reached every cluster: its audit lines are written.
  const message = await clusterErrorText(page, CATALOG_CLUSTER, POLL_SECONDS * 1000);
  await shot(page, '15-catalog-cluster');

  const lines = auditSince(stack, mark);
  const catalogLines = lines.filter(line => line.cluster === CATALOG_CLUSTER);
  const withToken = catalogLines.filter(line => line.tokenFingerprint !== null);
  const paletteDev = lines.filter(line => line.cluster === 'palette-dev' && line.user === ALICE.email && line.code === 200);
  const users = [...new Set(withToken.map(line => line.user ?? 'unauthenticated'))].join(', ');
  const figures = [
    `${CATALOG_CLUSTER} (${stack.catalogClusterUrl}, declared by resource:default/${CATALOG_CLUSTER}): ${catalogLines.length} requests, ${withToken.length} with a bearer token${withToken.length ? ` (authenticated as ${users})` : ''}`,
    `palette-dev: ${paletteDev.length} requests as ${ALICE.email}, answered 200; the tab shows 2 pods`,
    `${CATALOG_CLUSTER}'s entry in the warning panel: ${message ? `"${message.slice(0, 300)}"` : 'none'}`,
  ];
  assert.ok(paletteDev.length > 0, "palette-dev got alice's token");
  assert.equal(withToken.length, 0, `the catalog-declared cluster got a token:\n${figures.join('\n')}`);
  assert.match(message, /declared in the catalog/i, `the catalog-declared cluster's own message:\n${figures.join('\n')}`);
  report('a SpectroCloud cluster declared in the catalog', figures);
});

test('18. the access page shows alice who palette-dev says she is and that she may list pods, and why palette-tenant-idp refuses her token', async ({ page, stack, recorded }) => {
  const mark = await signInAndOpenTab(page, stack, ALICE.id);
  await pods(page).waitFor();
  await openAccessPage(page);
  const palette = accessRow(page, 'palette-dev');
  await palette.getByText(/^May list pods cluster-wide/).waitFor();
  const refused = accessRow(page, TENANT_IDP_CLUSTER).getByText(/does not accept this token/);
  await refused.waitFor();
  await shot(page, '18-access-alice');

  const identity = (await palette.locator('td').nth(1).textContent()) ?? '';
  const pods401 = (await refused.textContent()) ?? '';
  assert.match(identity, new RegExp(`^${ALICE.email}groups: ${READER_GROUP}, system:authenticated$`));
  assert.ok(pods401.includes(stack.issuer!.issuer), "the 401 names Palette's issuer");
  assert.match(pods401, /Inherit from Tenant/);
  await accessRow(page, 'shared-sa').getByText(/^Not checked/).waitFor();
  const reviews = auditSince(stack, mark, 'palette-dev').filter(line => line.verb === 'create');
  assert.deepEqual([...new Set(reviews.map(line => `${line.resource} ${line.user} ${line.code}`))].sort(), [
    `selfsubjectaccessreviews ${ALICE.email} 201`,
    `selfsubjectreviews ${ALICE.email} 201`,
  ]);
  assert.ok(recorded.idTokens.size > 0, 'the tokens to look for');
  assert.deepEqual(await tokenShown(page, recorded), { page: false, console: 0, urls: 0 });
  report('access page, permitted user', [
    `palette-dev says: ${identity.replace('groups:', '; groups:')}; ${(await palette.locator('td').nth(2).textContent())?.slice(0, 140)}`,
    `${TENANT_IDP_CLUSTER}: ${pods401.slice(0, 160)}…`,
    `the token is in none of the page's HTML, ${recorded.consoleLines.length} console lines or ${recorded.requests.length} request URLs`,
  ]);
});

test('19. the access page shows bob his identity on palette-dev and that he may not list pods, with the binding that would let him', async ({ page, stack, recorded }) => {
  await signInAndOpenTab(page, stack, BOB.id);
  await openAccessPage(page);
  const palette = accessRow(page, 'palette-dev');
  await palette.getByText(/^May not list pods cluster-wide/).waitFor();
  const fix = `kubectl create clusterrolebinding bob-example-com-view --clusterrole=view --user=${BOB.email}`;
  await palette.getByText(fix).waitFor();
  await shot(page, '19-access-bob');

  assert.match((await palette.locator('td').nth(1).textContent()) ?? '', new RegExp(`^${BOB.email}groups: contractors, system:authenticated$`));
  assert.ok(recorded.idTokens.size > 0, 'the tokens to look for');
  assert.deepEqual(await tokenShown(page, recorded), { page: false, console: 0, urls: 0 });
  report('access page, user without a binding', [`palette-dev: ${BOB.email} may not list pods; the page names the fix: ${fix}`]);
});

test("20. a guest who rejected the tab's sign-in signs in from the access page, and the tab then shows palette-dev's pods with no reload", async ({ page, stack, recorded }) => {
  await enterAsGuest(page, stack.appUrl);
  await openKubernetesTab(page, stack);
  await rejectSignIn(page);
  await pods(page, 'shared-sa').waitFor();
  await page.evaluate(() => Object.assign(window, { loadedOnce: true }));
  await openAccessPage(page);
  await accessRow(page, 'palette-dev').getByText('Not signed in with SpectroCloud: sign in above, then check again.').waitFor();
  await shot(page, '20a-access-guest');

  await page.getByRole('button', { name: 'Sign in with SpectroCloud' }).click();
  await signInFromDialog(page, ALICE.id);
  await accessRow(page, 'palette-dev').getByText(/^May list pods cluster-wide/).waitFor();
  const idTokens = sentIdTokens(recorded.requests);
  assert.ok(idTokens.size > 0, 'the tokens to look for');
  assert.deepEqual(await tokenShown(page, { ...recorded, idTokens }), { page: false, console: 0, urls: 0 });
  await page.goBack();
  await pods(page).waitFor();
  await shot(page, '20b-tab-after-access-sign-in');

  assert.equal(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce), true, 'no reload');
  report('access page, guest', ['after "Reject all" on the tab, "Sign in with SpectroCloud" on the access page; back on the tab palette-dev shows 2 pods, same page load']);
});
