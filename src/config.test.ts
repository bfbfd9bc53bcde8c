import { mockApis } from '@backstage/frontend-test-utils';
import { readTokenProviderName } from './config';

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
