// frontend-test-utils 1.0 fails a test app on app errors and returns the
// app's APIs from renderTestApp; 0.x does neither. For runs against 0.x,
// test:compat maps the package to this file, which adds both around the old
// line's own app (./frontend-app-api.ts), so the module's tests run unchanged.
import * as actual from 'actual:@backstage/frontend-test-utils';

// The same module the mapped @backstage/frontend-app-api resolves to.
import { harness } from './frontend-app-api.ts';

export * from 'actual:@backstage/frontend-test-utils';

function withHarness<T extends object>(options: { isExpectedError?: typeof harness.isExpectedError } | undefined, render: () => T) {
  harness.isExpectedError = options?.isExpectedError;
  try {
    return Object.assign(render(), { apis: harness.lastApp!.apis });
  } finally {
    harness.isExpectedError = undefined;
  }
}

export const renderTestApp: typeof actual.renderTestApp = options => withHarness(options, () => actual.renderTestApp(options));

export const renderInTestApp: typeof actual.renderInTestApp = (element, options) =>
  withHarness(options, () => actual.renderInTestApp(element, options));
