import '@testing-library/jest-dom';

// Two warnings that come from upstream packages, not from this module or its
// tests, and would bury real output:
// - JSS (used by @material-ui/styles in @backstage/core-components) warns
//   "[JSS] processedRuleToParse is not defined" for every style rule it
//   inserts into jsdom's CSS object model;
// - react-dom warns that findDOMNode is deprecated when @material-ui/core's
//   transitions use it.
const UPSTREAM_WARNINGS = [
  /^Warning: \[JSS\] processedRuleToParse is not defined/,
  /findDOMNode is deprecated/,
];

/* eslint-disable no-console -- the filter wraps the console itself */
// Replaced directly rather than with jest.spyOn, so that tests restoring
// their own mocks keep the filter.
for (const level of ['warn', 'error'] as const) {
  const original = console[level].bind(console);
  console[level] = (...args: unknown[]) => {
    const text = args.map(String).join(' ');
    if (!UPSTREAM_WARNINGS.some(pattern => pattern.test(text))) {
      original(...args);
    }
  };
}
