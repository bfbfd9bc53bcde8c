import path from 'node:path';
import { loadConfigSchema, type ConfigSchema } from '@backstage/config-loader';
import type { JsonObject } from '@backstage/types';
import { projectRoot } from './projectRoot';

// The backend packages an app runs beside this module, which the
// development stack runs: their schemas are read from the installed ones.
const BACKEND_PACKAGES = ['@backstage/backend-defaults', '@backstage/plugin-auth-backend', '@backstage/plugin-kubernetes-backend'];

/** The backend module that serves the auth provider `spectrocloud`. */
export type SpectroCloudBackend = 'published' | 'oidc';

const SPECTROCLOUD_BACKEND_PACKAGES: Record<SpectroCloudBackend, string> = {
  published: '@terasky/backstage-plugin-spectrocloud-auth-backend',
  oidc: '@backstage/plugin-auth-backend-module-oidc-provider',
};

const schemas = new Map<SpectroCloudBackend, Promise<ConfigSchema>>();

/**
 * The app-config schema of an app with this module, the Kubernetes plugin
 * and the backends it needs, as the Backstage CLI builds it, with undeclared
 * keys refused.
 */
export function appConfigSchema(backend: SpectroCloudBackend = 'published'): Promise<ConfigSchema> {
  const cached = schemas.get(backend);
  if (cached) return cached;
  const schema = loadConfigSchema({
    dependencies: ['@backstage/plugin-kubernetes', '@backstage/frontend-defaults'],
    packagePaths: [
      path.join(projectRoot, 'package.json'),
      ...[...BACKEND_PACKAGES, SPECTROCLOUD_BACKEND_PACKAGES[backend]].map(name => {
        try {
          return require.resolve(`${name}/package.json`, { paths: [projectRoot] });
        } catch {
          throw new Error(`${name} is not installed: run \`npm ci\` first.`);
        }
      }),
    ],
    noUndeclaredProperties: true,
  });
  schemas.set(backend, schema);
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
export async function validateAppConfig(data: JsonObject, backend?: SpectroCloudBackend): Promise<void> {
  (await appConfigSchema(backend)).process([
    { data: APP_BASE, context: 'app-config.yaml' },
    { data, context: 'README snippet' },
  ]);
}
