// The Backstage backend of the development environment. Its config comes from
// the --config arguments that stack.ts passes.
import { createBackend } from '@backstage/backend-defaults';

// The plugins are CommonJS packages: Node's import() hands over their exports
// object as `default`, and backend.add() takes the feature from that object.
const exportsOf = <T>(loading: Promise<{ default: T }>) => loading.then(module => module.default);

const backend = createBackend();
backend.add(exportsOf(import('@backstage/plugin-auth-backend')));
backend.add(exportsOf(import('@backstage/plugin-auth-backend-module-guest-provider')));
// stack.ts says which module serves the provider id `spectrocloud`.
if (process.env.SPECTROCLOUD_AUTH_BACKEND === 'published') {
  backend.add(exportsOf(import('@terasky/backstage-plugin-spectrocloud-auth-backend')));
} else {
  backend.add(import('./spectroCloudOidcAuthModule.ts'));
}
backend.add(exportsOf(import('@backstage/plugin-catalog-backend')));
backend.add(exportsOf(import('@backstage/plugin-kubernetes-backend')));
// Clusters of a second Palette, as the SpectroCloud cluster provider supplies them (none unless stack.ts gives some).
backend.add(import('./paletteClusterSupplier.ts'));
// This repository's backend module, unless stack.ts asks for the stock Kubernetes backend alone.
if (process.env.SPECTROCLOUD_KUBERNETES_BACKEND !== 'stock') {
  backend.add(exportsOf(import('../../backend/src/index.ts')));
}
await backend.start();
