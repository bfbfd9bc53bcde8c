// The rules of Backstage's app that the module's two providers API ids rest
// on, shown on a plugin of their own. If Backstage changes one, this file
// fails first and says which.
import {
  ApiBlueprint,
  createApiRef,
  createFrontendModule,
  createFrontendPlugin,
} from '@backstage/frontend-plugin-api';
import type { JsonObject } from '@backstage/types';
import { baseConfig, startTestApp } from './__testUtils__/testApp';

const whoApiRef = createApiRef<{ who: string }>().with({ id: 'demo.who' });

const who = (name: string | undefined, value: string) =>
  ApiBlueprint.make({ name, params: defineParams => defineParams({ api: whoApiRef, deps: {}, factory: () => ({ who: value }) }) });

const plugin = createFrontendPlugin({ pluginId: 'demo', extensions: [who(undefined, 'plugin')] });
const moduleWith = (name: string | undefined) =>
  createFrontendModule({ pluginId: 'demo', extensions: [who(name, 'module')] });

async function winner(moduleExtensionName: string | undefined, extensions: Array<string | JsonObject>) {
  const app = await startTestApp({
    features: [plugin, moduleWith(moduleExtensionName)],
    config: { ...baseConfig, app: { extensions } },
  });
  // One app on the page at a time, as in a browser.
  app.unmount();
  return app.apis.get(whoApiRef)?.who;
}

describe("a module extension with its plugin's extension id", () => {
  it.each([[[]], [['api:demo']], [[{ 'api:demo': true }]]])('replaces it in place, with app.extensions %j', async extensions => {
    expect(await winner(undefined, extensions)).toBe('module');
  });

  it('is disabled with it', async () => {
    expect(await winner(undefined, [{ 'api:demo': false }])).toBeUndefined();
  });
});

describe('a module extension with an id of its own that provides the same API', () => {
  it('wins by coming later, until app-config names it, which moves it to the front', async () => {
    expect(await winner('other', [])).toBe('module');
    expect(await winner('other', ['api:demo/other'])).toBe('plugin');
  });
});
