import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// waitFor and findBy* give up after this long: a loaded two-core CI machine
// takes more than the default second to boot a test app; a passing test
// waits no longer for it.
configure({ asyncUtilTimeout: 10_000 });

// Upstream warnings that would bury real output: JSS (in material-ui) warns
// "processedRuleToParse is not defined" for each style rule under jsdom, and
// material-ui's transitions call the deprecated findDOMNode.
const UPSTREAM_WARNINGS = [/^Warning: \[JSS\] processedRuleToParse is not defined/, /findDOMNode is deprecated/];

/* eslint-disable no-console -- the filter wraps the console itself */
for (const level of ['warn', 'error'] as const) {
  const original = console[level].bind(console);
  console[level] = (...args: unknown[]) => {
    if (!UPSTREAM_WARNINGS.some(pattern => pattern.test(args.map(String).join(' ')))) original(...args);
  };
}
