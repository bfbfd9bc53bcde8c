// Stands in for @backstage/frontend-app-api in test:compat runs against
// @backstage/frontend-test-utils 0.x (see ./frontend-test-utils.ts).
import * as actual from 'actual:@backstage/frontend-app-api';

export * from 'actual:@backstage/frontend-app-api';

type FinalizedApp = ReturnType<ReturnType<typeof actual.prepareSpecializedApp>['finalize']>;
type AppError = NonNullable<FinalizedApp['errors']>[number];

/** The app the test utils built last, and which of its errors a test expects. */
export const harness: { lastApp?: FinalizedApp; isExpectedError?: (error: AppError) => boolean } = {};

// What frontend-test-utils 1.0 does after finalize(), with its message:
// fail on app errors that the test does not expect.
export function prepareSpecializedApp(options: Parameters<typeof actual.prepareSpecializedApp>[0]) {
  const prepared = actual.prepareSpecializedApp(options);
  const finalize = prepared.finalize.bind(prepared);
  prepared.finalize = () => {
    const app = finalize();
    harness.lastApp = app;
    const unexpected = (app.errors ?? []).filter(error => !harness.isExpectedError?.(error));
    if (unexpected.length) {
      throw new Error(
        `Failed to create the test app: ${unexpected.map(error => error.message).join(', ')}\n` +
          `If an error is expected, allow it with the isExpectedError option, for example: error => error.code === '${unexpected[0].code}'`,
      );
    }
    return app;
  };
  return prepared;
}
