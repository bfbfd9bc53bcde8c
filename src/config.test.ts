import { mockApis } from '@backstage/frontend-test-utils';
import { readTokenProviderName, readTokenSources } from './config';

const read = (tokenProviderName?: unknown) =>
  readTokenProviderName(
    mockApis.config({ data: tokenProviderName === undefined ? {} : { kubernetes: { spectroCloudAuth: { tokenProviderName } } } }),
  );

describe('kubernetes.spectroCloudAuth.tokenProviderName', () => {
  it('defaults to spectrocloud', () => {
    expect(read()).toBe('spectrocloud');
  });

  it.each(['palette', 'palette-prod', 'palette.eu_1', "a!#$%&'*+-.^_`|~z"])('accepts %j: a header token without capitals', name => {
    expect(read(name)).toBe(name);
  });

  it.each([
    ['Palette', 'palette'],
    ['PALETTE-EU', 'palette-eu'],
  ])('refuses %j, which the Kubernetes proxy would lowercase, and gives the lowercase form', (name, lowercase) => {
    expect(() => read(name)).toThrow(expect.objectContaining({ name: 'SpectroCloudTokenProviderNameError' }));
    expect(() => read(name)).toThrow(`Use '${lowercase}' there and as the clusters' oidcTokenProvider`);
  });

  it.each(['palette prod', 'palette:prod', 'okta', 'google', 'Okta'])('refuses %j, with no name to use instead', name => {
    expect(() => read(name)).toThrow(expect.objectContaining({ name: 'SpectroCloudTokenProviderNameError' }));
    expect(() => read(name)).toThrow('Choose another name');
  });

  it.each([42, ''])('refuses %j, naming the key', value => {
    expect(() => read(value)).toThrow(/kubernetes\.spectroCloudAuth\.tokenProviderName/);
  });
});

describe('kubernetes.spectroCloudAuth.environments', () => {
  const sources = (spectroCloudAuth: object) => readTokenSources(mockApis.config({ data: { kubernetes: { spectroCloudAuth } } }));
  const eu = { tokenProviderName: 'palette-eu', authProvider: 'spectrocloud-eu', title: 'SpectroCloud EU' };

  it('adds a token source per environment after the default one, titled by authProvider unless a title is given', () => {
    expect(sources({ environments: [eu, { tokenProviderName: 'palette-us', authProvider: 'spectrocloud-us' }] })).toEqual([
      { name: 'spectrocloud', title: 'SpectroCloud' },
      { name: 'palette-eu', title: 'SpectroCloud EU', authProvider: 'spectrocloud-eu' },
      { name: 'palette-us', title: 'spectrocloud-us', authProvider: 'spectrocloud-us' },
    ]);
  });

  it('changes nothing without environments', () => {
    expect(sources({})).toEqual([{ name: 'spectrocloud', title: 'SpectroCloud' }]);
  });

  it.each([
    ['a name used twice', { environments: [eu, { ...eu, authProvider: 'other' }] }, 'SpectroCloudEnvironmentError', /environments\[1\].*'palette-eu' is already served by an earlier environment/],
    ['the default name', { environments: [{ ...eu, tokenProviderName: 'spectrocloud' }] }, 'SpectroCloudEnvironmentError', /environments\[0\].*already served by auth\.spectrocloud/],
    ['a stock provider', { environments: [{ ...eu, tokenProviderName: 'okta' }] }, 'SpectroCloudTokenProviderNameError', /environments\[0\]\.tokenProviderName 'okta'/],
    ['a name the proxy cannot match', { environments: [{ ...eu, tokenProviderName: 'Palette-EU' }] }, 'SpectroCloudTokenProviderNameError', /Use 'palette-eu'/],
    ['no authProvider', { environments: [{ tokenProviderName: 'palette-eu' }] }, 'SpectroCloudEnvironmentError', /environments\[0\].*has no authProvider/],
  ])('refuses %s, naming the entry', (_, config, name, message) => {
    expect(() => sources(config)).toThrow(expect.objectContaining({ name, message: expect.stringMatching(message) }));
  });
});
