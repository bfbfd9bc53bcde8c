import path from 'node:path';
import { loadConfigSchema, type ConfigSchema } from '@backstage/config-loader';
import type { JsonObject } from '@backstage/types';
import { projectRoot } from './readmeSnippets';

// The backend packages an app runs beside this module; the development
// stack installs them, so their schemas are read from there.
const BACKEND_PACKAGES = [
  '@backstage/backend-defaults',
  '@backstage/plugin-auth-backend',
  '@backstage/plugin-kubernetes-backend',
  '@terasky/backstage-plugin-spectrocloud-auth-backend',
];

let schema: Promise<ConfigSchema> | undefined;

/**
 * The app-config schema of an app with this module, the Kubernetes plugin
 * and the backends it needs, as the Backstage CLI builds it, with undeclared
 * keys refused.
 */
export function appConfigSchema(): Promise<ConfigSchema> {
  const stack = path.join(projectRoot, 'dev/stack');
  schema ??= loadConfigSchema({
    dependencies: ['@backstage/plugin-kubernetes', '@backstage/frontend-defaults'],
    packagePaths: [
      path.join(projectRoot, 'package.json'),
      ...BACKEND_PACKAGES.map(name => {
        try {
          return require.resolve(`${name}/package.json`, { paths: [stack] });
        } catch {
          throw new Error(`${name} is not installed in dev/stack: run \`npm ci --prefix dev/stack\` first.`);
        }
      }),
    ],
    noUndeclaredProperties: true,
  });
  return schema;
}

// What every app-config has, so a snippet is checked for what it adds.
const APP_BASE: JsonObject = {
  app: { baseUrl: 'http://localhost:3000' },
  backend: {
    baseUrl: 'http://localhost:7007',
    listen: { port: 7007 },
    database: { client: 'better-sqlite3', connection: ':memory:' },
  },
  kubernetes: { serviceLocatorMethod: { type: 'multiTenant' }, clusterLocatorMethods: [] },
};

/** Validates app-config data against {@link appConfigSchema}; throws with the schema's message. */
export async function validateAppConfig(data: JsonObject): Promise<void> {
  (await appConfigSchema()).process([
    { data: APP_BASE, context: 'app-config.yaml' },
    { data, context: 'README snippet' },
  ]);
}
