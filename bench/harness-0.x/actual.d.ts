// `actual:<package>` is how the harness reaches the package it stands in for:
// test:compat's jest moduleNameMapper maps it back to the real package.
declare module 'actual:@backstage/frontend-app-api' {
  export * from '@backstage/frontend-app-api';
}
declare module 'actual:@backstage/frontend-test-utils' {
  export * from '@backstage/frontend-test-utils';
}
