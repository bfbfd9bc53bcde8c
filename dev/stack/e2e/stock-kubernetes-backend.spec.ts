// The published backend auth module, which cannot renew, and the stock
// Kubernetes backend, without this repository's backend module.
import assert from 'node:assert/strict';

import { enterAsGuest, signInDialog, signInFromDialog } from '../../lib/browser.ts';
import { ALICE } from '../../lib/demo.ts';
import { tokenFingerprint } from '../kube-apiserver/auditLog.ts';
import {
  LONG_SESSION_LIFETIMES, SHORT_TTL_SECONDS, auditSince, distinctTokens, keepTabOpen,
  oidcClusterLines, openKubernetesTab, openWarnings, pods, podsAfterSignIn, refreshCalls, rejectSignIn, report, shot, signInAndOpenTab, stackTest, startLongSession,
} from './fixtures.ts';

const test = stackTest({ idTokenTtlSeconds: SHORT_TTL_SECONDS, authBackend: 'published', stockKubernetesBackend: true });
// How long a guest who rejected SpectroCloud sign-in watches the tab poll:
// three polls. The objects request fails in the browser, so only time tells them.
const GUEST_POLLING_SECONDS = 30;

test('10. without the backend module, a guest who rejects SpectroCloud sign-in is asked once and told what is missing', async ({ page, stack }) => {
  await enterAsGuest(page, stack.appUrl);
  await openKubernetesTab(page, stack);
  await rejectSignIn(page);
  await openWarnings(page);
  const message = page.getByText(/SpectroCloudSignInRequiredError/).first();
  await message.waitFor();
  await shot(page, '10-stock-backend-guest');
  const shown = ((await message.textContent()) ?? '').trim();
  const { prompts: dialogs } = await keepTabOpen(page, GUEST_POLLING_SECONDS, { clusters: [] });
  assert.match(shown, /backstage-plugin-kubernetes-backend-module-spectrocloud-auth/);
  assert.equal(dialogs, 0);
  report('a guest, stock Kubernetes backend', [
    `after "Reject all" the tab says: ${shown.slice(0, 240)}`,
    `sign-in dialogs in the next ${GUEST_POLLING_SECONDS} s of polling: ${dialogs}`,
  ]);
});

test('4. after expiry and a reload the user is asked to sign in again (the published backend auth module cannot refresh)', async ({ page, stack, recorded }) => {
  const mark = await signInAndOpenTab(page, stack, ALICE.id);
  const signIns = await podsAfterSignIn(page);
  // Until 3 s past the expiry of the last token the tab sent.
  const expiresAt = Date.parse(auditSince(stack, mark, 'palette-dev').findLast(line => line.tokenExpiresAt)!.tokenExpiresAt!);
  await page.waitForTimeout(Math.max(0, expiresAt + 3000 - Date.now()));
  await page.reload();
  await page.getByRole('button', { name: /sign in/i }).first().waitFor();
  await shot(page, '4-expired-token');

  // The issuer made one ID token per sign-in, the refresh none; the cluster got only those.
  const issued = new Set([...recorded.idTokens].map(tokenFingerprint));
  const alice = auditSince(stack, mark, 'palette-dev').filter(line => line.user === ALICE.email);
  const tokens = new Set(alice.map(line => line.tokenFingerprint));
  assert.equal(issued.size, signIns);
  assert.ok(tokens.size > 0 && [...tokens].every(token => issued.has(token!)), 'palette-dev got only tokens of her sign-ins');
  report('expired token', [
    `ID token lifetime ${SHORT_TTL_SECONDS} s; 3 s past its expiry a reload shows the sign-in page again`,
    `${signIns} sign-in(s), ${issued.size} ID token(s) issued, ${tokens.size} in palette-dev's audit log for alice: the backend auth module's refresh re-serves the ID token of the sign-in until it expires and never asks the issuer for a new one`,
  ]);
});

// A tab left open across three lifetimes of the stack's ID tokens.
const PROMPTED_SESSION_SECONDS = LONG_SESSION_LIFETIMES * SHORT_TTL_SECONDS + 5;

test(`8. a session across ${LONG_SESSION_LIFETIMES} ID-token lifetimes with the published backend: no expired token; at each expiry one sign-in dialog, and the tab recovers without a reload`, async ({ page, stack, recorded: { requests } }) => {
  const { mark, refreshMark } = await startLongSession(page, stack, requests);
  // Refresh calls while the dialog waits for the user: bounded, no loop.
  const whileWaiting: number[] = [];
  // What the tab's (collapsed) warning panel says behind the dialog.
  const messagesAtExpiry = new Set<string>();
  const onPrompt = async () => {
    if (whileWaiting.length === 0) await shot(page, '8a-sign-in-dialog-at-expiry');
    for (const text of await page.getByText(/SpectroCloud\w*Error/).allTextContents()) messagesAtExpiry.add(text.trim().slice(0, 140));
    const callsBefore = refreshCalls(requests);
    await page.waitForTimeout(12_000);
    whileWaiting.push(refreshCalls(requests) - callsBefore);
    await signInFromDialog(page, ALICE.id);
  };
  const { prompts } = await keepTabOpen(page, PROMPTED_SESSION_SECONDS, { onPrompt });
  // A token that expires as the watch ends (a loaded machine's timing)
  // brings one more dialog, which the user answers as the others.
  for (let late = 0; late < 2; late += 1) {
    await pods(page).or(signInDialog(page)).first().waitFor({ timeout: 60_000 });
    if (!(await signInDialog(page).isVisible())) break;
    await signInFromDialog(page, ALICE.id);
  }
  await pods(page).waitFor();
  await shot(page, '8b-recovered');

  const { lines, unauthorized } = oidcClusterLines(stack, mark);
  const tokens = distinctTokens(lines.filter(line => line.user === ALICE.email));
  assert.equal(unauthorized.length, 0, 'no request with an expired token');
  assert.ok(prompts >= 1, 'the user was asked to sign in at expiry');
  assert.ok(tokens >= 2, 'the tab went on with the token of the new sign-in');
  assert.ok(whileWaiting.every(calls => calls <= 2), `refresh calls while the dialog was open: ${whileWaiting.join(', ')}`);
  report('long session, published backend', [
    `tab open ${PROMPTED_SESSION_SECONDS} s with ID tokens of ${SHORT_TTL_SECONDS} s, no reload`,
    `prompts ${prompts} (each answered after 12 s), 401s ${unauthorized.length}, ${tokens} distinct ID tokens for alice, renewals (refresh calls) ${refreshCalls(requests, refreshMark)}`,
    `refresh calls during each 12 s the dialog stayed open: ${whileWaiting.join(', ')}; the pods show again after each sign-in`,
    ...[...messagesAtExpiry].map(text => `behind the dialog the tab said: ${text}`),
  ]);
});

test("9. with Palette's HS256 refresh_token, the module never sends the HS256 token and the tab shows the pods", async ({ page, stack }) => {
  stack.issuer!.answerLikePalette(true);
  try {
    const mark = await signInAndOpenTab(page, stack, ALICE.id);
    await podsAfterSignIn(page);
    await shot(page, '9-palette-refresh-token');

    const { lines, unauthorized } = oidcClusterLines(stack, mark);
    const algs = [...new Set(lines.map(line => line.tokenAlg))];
    assert.ok(lines.length > 0);
    assert.deepEqual(algs, ['RS256'], 'only RS256 ID tokens reached the cluster');
    assert.equal(unauthorized.length, 0);
    report("Palette's HS256 refresh_token, published backend", [
      'the issuer stand-in answered the sign-in with an HS256 session token as refresh_token',
      `${lines.length} palette-dev requests, all with RS256 tokens (algorithms seen: ${algs.join(', ')}), 401s ${unauthorized.length}; the tab shows 2 pods`,
    ]);
  } finally {
    stack.issuer!.answerLikePalette(false);
  }
});
