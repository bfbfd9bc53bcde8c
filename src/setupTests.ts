import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// waitFor and findBy* give up after 10 s, and a test after a minute: a
// loaded two-core CI machine takes more than the defaults (1 s and 5 s) to
// boot a test app and load its lazy parts; a passing test waits no longer.
configure({ asyncUtilTimeout: 10_000 });
jest.setTimeout(60_000);

// Upstream warnings that would bury real output: JSS (in material-ui) warns
// "processedRuleToParse is not defined" for each style rule under jsdom,
// material-ui's transitions call the deprecated findDOMNode, and react-aria
// prints whole React fibers when the app's toasts share a landmark label.
const UPSTREAM_WARNINGS = [/^Warning: \[JSS\] processedRuleToParse is not defined/, /findDOMNode is deprecated/, /^Page contains more than one landmark/];

/* eslint-disable no-console -- the filter wraps the console itself */
for (const level of ['warn', 'error'] as const) {
  const original = console[level].bind(console);
  console[level] = (...args: unknown[]) => {
    if (!UPSTREAM_WARNINGS.some(pattern => pattern.test(args.map(String).join(' ')))) original(...args);
  };
}
