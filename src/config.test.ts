import { mockApis } from '@backstage/frontend-test-utils';
import { readTokenSources } from './config';
import { readTokenSources as readBackendTokenSources } from '../backend/src/config';

const read = (tokenProviderName?: unknown) =>
  readTokenSources(
    mockApis.config({ data: tokenProviderName === undefined ? {} : { kubernetes: { spectroCloudAuth: { tokenProviderName } } } }),
  )[0].name;

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

const eu = { tokenProviderName: 'palette-eu', authProvider: 'spectrocloud-eu', title: 'SpectroCloud EU' };

const REFUSED_ENVIRONMENTS: [string, object, string, RegExp][] = [
  ['a name used twice', { environments: [eu, { ...eu, authProvider: 'other' }] }, 'SpectroCloudEnvironmentError', /environments\[1\].*'palette-eu' is already served by an earlier environment/],
  ['the default name', { environments: [{ ...eu, tokenProviderName: 'spectrocloud' }] }, 'SpectroCloudEnvironmentError', /environments\[0\].*already served by auth\.spectrocloud/],
  ['a stock provider', { environments: [{ ...eu, tokenProviderName: 'okta' }] }, 'SpectroCloudTokenProviderNameError', /environments\[0\]\.tokenProviderName 'okta'/],
  ['a name the proxy cannot match', { environments: [{ ...eu, tokenProviderName: 'Palette-EU' }] }, 'SpectroCloudTokenProviderNameError', /Use 'palette-eu'/],
  ['no authProvider', { environments: [{ tokenProviderName: 'palette-eu' }] }, 'SpectroCloudEnvironmentError', /environments\[0\].*has no authProvider/],
  [
    "auth.spectrocloud's authProvider",
    { environments: [{ ...eu, authProvider: 'spectrocloud' }] },
    'SpectroCloudEnvironmentError',
    /environments\[0\] is refused: its authProvider 'spectrocloud' already signs in for auth\.spectrocloud .*Give each Palette a backend auth provider of its own/,
  ],
  [
    'an authProvider used twice',
    { environments: [eu, { tokenProviderName: 'palette-us', authProvider: 'spectrocloud-eu' }] },
    'SpectroCloudEnvironmentError',
    /environments\[1\] is refused: its authProvider 'spectrocloud-eu' already signs in for an earlier environment, whose token would go to this Palette's clusters/,
  ],
];

describe('kubernetes.spectroCloudAuth.environments', () => {
  const sources = (spectroCloudAuth: object) => readTokenSources(mockApis.config({ data: { kubernetes: { spectroCloudAuth } } }));

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

  it.each(REFUSED_ENVIRONMENTS)('refuses %s, naming the entry', (_, config, name, message) => {
    expect(() => sources(config)).toThrow(expect.objectContaining({ name, message: expect.stringMatching(message) }));
  });
});

describe("the backend module's check of kubernetes.spectroCloudAuth", () => {
  // Its own copy (its package cannot build files from outside it), which
  // stops the backend at start: the same sources, the same errors.
  const outcome = (reading: () => unknown) => {
    try {
      return reading();
    } catch (error) {
      return { name: (error as Error).name, message: (error as Error).message };
    }
  };

  it.each([
    ['no settings', {}],
    ['a tokenProviderName', { tokenProviderName: 'palette' }],
    ['environments', { environments: [eu, { tokenProviderName: 'palette-us', authProvider: 'spectrocloud-us' }] }],
    ['a tokenProviderName with capitals', { tokenProviderName: 'Palette' }],
    ['a stock tokenProviderName', { tokenProviderName: 'okta' }],
    ['a tokenProviderName that is no string', { tokenProviderName: 42 }],
    ...REFUSED_ENVIRONMENTS.map(([title, config]) => [title, config] as [string, object]),
  ])('reads %s as the frontend module does', (_, spectroCloudAuth) => {
    const config = mockApis.config({ data: { kubernetes: { spectroCloudAuth } } });
    expect(outcome(() => readBackendTokenSources(config))).toEqual(outcome(() => readTokenSources(config)));
  });
});
