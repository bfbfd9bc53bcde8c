// Playwright is installed with dev/stack: dev/lib/browser.ts, outside this
// package, imports it through here.
export { chromium, type Browser, type Locator, type Page } from '@playwright/test';
