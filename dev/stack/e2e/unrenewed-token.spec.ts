// The published backend auth module, which cannot renew, with the backend module.
import assert from 'node:assert/strict';

import { enterAsGuest, signInDialog, signInFromDialog } from '../../lib/browser.ts';
import { ALICE } from '../../lib/demo.ts';
import {
  POLL_SECONDS, SHORT_TTL_SECONDS, auditSince, clusterErrorText, oidcClusterLines, openKubernetesTab, pods, podsAfterSignIn, rejectSignIn, report, shot, signInMessage, stackTest,
} from './fixtures.ts';

const test = stackTest({ idTokenTtlSeconds: SHORT_TTL_SECONDS, authBackend: 'published' });

test('17. an ID token that expires and is not renewed: palette-dev gets no expired token and says what to do; shared-sa keeps its pods throughout', async ({ page, stack }) => {
  // Alice is a guest in the app and signs in to SpectroCloud from the tab, so
  // that her app session outlives the ID token: with this backend auth module,
  // an app session made with SpectroCloud ends with the ID token (scenarios 4
  // and 8).
  await enterAsGuest(page, stack.appUrl);
  const mark = auditSince(stack).length;
  await openKubernetesTab(page, stack);
  await signInFromDialog(page, ALICE.id);
  await podsAfterSignIn(page);
  await pods(page, 'shared-sa').waitFor();
  const line = auditSince(stack, mark, 'palette-dev').findLast(l => l.tokenFingerprint && l.tokenExpiresAt);
  assert.ok(line, "palette-dev got alice's token");
  const token = { fingerprint: line.tokenFingerprint!, expiresAt: Date.parse(line.tokenExpiresAt!) };

  // The tab stays open, with no reload, a check a second, until two of its
  // requests after the expiry. Each check: whether shared-sa shows its pods
  // (also behind a sign-in dialog, which hides the page from roles), and any
  // sign-in dialog, dismissed: she does not sign in again.
  const shared = page.getByRole('button', { includeHidden: true }).filter({ hasText: /^shared-saCluster/ }).getByText('2 pods');
  const watch = { checks: 0, sharedMissing: 0, dialogs: 0 };
  let message = '';
  // What palette-dev said, in order, each once (its clock readings aside).
  const said: string[] = [];
  for (const deadline = token.expiresAt + (2 * POLL_SECONDS + 2) * 1000; Date.now() < deadline; await page.waitForTimeout(1000)) {
    watch.checks += 1;
    if (!(await shared.isVisible())) watch.sharedMissing += 1;
    if (await signInDialog(page).isVisible()) {
      watch.dialogs += 1;
      await rejectSignIn(page);
    }
    message = await clusterErrorText(page, 'palette-dev', 0);
    const gist = message.replace(/\(backend clock: [^)]*\)/, '(backend clock: …)');
    if (gist && said.at(-1) !== gist) said.push(gist);
  }
  await shot(page, '17-expired-not-renewed');

  const { lines, unauthorized } = oidcClusterLines(stack, mark);
  const own = lines.filter(l => l.tokenFingerprint === token.fingerprint);
  const expired = lines.filter(l => l.tokenExpiresAt && Date.parse(l.tokenExpiresAt) <= Date.parse(l.time));
  const figures = [
    `ID tokens of ${SHORT_TTL_SECONDS} s; alice's (a guest in the app) expired at ${new Date(token.expiresAt).toISOString()}; tab open ${Math.round((Date.now() - token.expiresAt) / 1000)} s past it, no reload`,
    `shared-sa: 2 pods missing at ${watch.sharedMissing} of ${watch.checks} checks; sign-in dialogs ${watch.dialogs}`,
    `palette-dev: ${own.length} requests with her token; with an expired token ${expired.length}, 401s ${unauthorized.length}`,
    `palette-dev's entry in the warning panel, in turn: ${said.map(text => `"${text.slice(0, 300)}"`).join(', then ') || 'none'}`,
  ];
  assert.equal(watch.sharedMissing, 0, `shared-sa's pods went missing:\n${figures.join('\n')}`);
  assert.equal(expired.length + unauthorized.length, 0, `palette-dev got expired tokens:\n${figures.join('\n')}`);
  // The backend refuses the token as it nears its exp ("expires at …"); once
  // the session has ended, the request carries none ("Sign in with …").
  assert.match(message, new RegExp(`${signInMessage('SpectroCloud').replace('.', '\\.')}|expire`), `palette-dev's own message:\n${figures.join('\n')}`);
  report('an ID token that expires and is not renewed (published backend auth module, backend module)', figures);
});
