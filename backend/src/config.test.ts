/**
 * @jest-environment node
 */
import { ConfigReader } from '@backstage/config';
import { readAllowedCatalogClusterUrls, readTokenProviders } from './config';

// The checks of kubernetes.spectroCloudAuth itself are the frontend module's,
// and src/config.test.ts holds this package's to them.

describe('readTokenProviders', () => {
  it("reads the frontend module's token-provider names with their titles, spectrocloud by default", () => {
    expect(readTokenProviders(new ConfigReader({}))).toEqual(new Map([['spectrocloud', 'SpectroCloud']]));
    const spectroCloudAuth = {
      tokenProviderName: 'palette',
      environments: [{ tokenProviderName: 'palette-eu', authProvider: 'spectrocloud-eu', title: 'SpectroCloud EU' }, { tokenProviderName: 'palette-us', authProvider: 'spectrocloud-us' }],
    };
    expect(readTokenProviders(new ConfigReader({ kubernetes: { spectroCloudAuth } }))).toEqual(
      new Map([['palette', 'SpectroCloud'], ['palette-eu', 'SpectroCloud EU'], ['palette-us', 'spectrocloud-us']]),
    );
  });
});

describe('kubernetes.spectroCloudAuth.allowedCatalogClusterUrls', () => {
  const allowed = (patterns?: string[]) =>
    readAllowedCatalogClusterUrls(new ConfigReader(patterns ? { kubernetes: { spectroCloudAuth: { allowedCatalogClusterUrls: patterns } } } : {}));

  it('lists no URL by default', () => {
    expect(allowed()('https://palette.example.com:6443')).toBe(false);
  });

  it.each([
    ['https://palette.example.com:6443', 'https://palette.example.com:6443', true],
    ['https://*.palette.example.com:6443', 'https://eu-1.palette.example.com:6443', true],
    ['https://*.palette.example.com:*', 'https://eu-1.palette.example.com:443', true],
    ['https://*.example.com', 'https://a.b.example.com', true],
    // `*` covers no `/`
    ['https://*.example.com', 'https://evil.test/.example.com', false],
    ['https://palette.example.com:*', 'https://palette.example.com:6443/x', false],
    // the whole URL, not a part of it
    ['https://palette.example.com', 'https://palette.example.com.evil.test', false],
    ['https://palette.example.com', 'http://x/?https://palette.example.com', false],
    // a dot is a dot
    ['https://palette.example.com', 'https://paletteXexample.com', false],
    ['https://palette.example.com:6443', 'https://palette.example.com:6443/', false],
  ])('%s matches %s: %s', (pattern, url, matches) => {
    expect(allowed([pattern])(url)).toBe(matches);
  });

  it('takes any of its patterns', () => {
    const listed = allowed(['https://a.example.com', 'https://b.example.com']);
    expect(['https://a.example.com', 'https://b.example.com', 'https://c.example.com'].map(listed)).toEqual([true, true, false]);
  });
});
