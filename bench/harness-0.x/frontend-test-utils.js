// frontend-test-utils 1.0 fails a test app on app errors and returns the
// app's APIs from renderTestApp; 0.x does neither. For runs against 0.x,
// test:compat maps the package to this file, which adds both around the old
// line's own app (./frontend-app-api.js), so the module's tests run unchanged.
import * as actual from 'actual:@backstage/frontend-test-utils';
// The same module the mapped @backstage/frontend-app-api resolves to.
import { harness } from './frontend-app-api.js';

export * from 'actual:@backstage/frontend-test-utils';

function withHarness(options, render) {
  harness.isExpectedError = options?.isExpectedError;
  try {
    const result = render();
    return Object.assign(result, { apis: harness.lastApp.apis });
  } finally {
    harness.isExpectedError = undefined;
  }
}

export function renderTestApp(options) {
  return withHarness(options, () => actual.renderTestApp(options));
}

export function renderInTestApp(element, options) {
  return withHarness(options, () => actual.renderInTestApp(element, options));
}
