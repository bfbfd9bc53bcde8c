/**
 * Kubernetes plugin module that lets users reach clusters with their own
 * SpectroCloud (Palette) OIDC ID token.
 *
 * @remarks
 * Only the module and the SpectroCloud auth API ref are exported. The
 * module's extensions are turned on, off and configured by their ids in
 * app-config; exporting them would invite apps to install them a second
 * time, from another plugin, which Backstage rejects as an API conflict.
 *
 * @packageDocumentation
 */

export { kubernetesModuleSpectroCloudAuth as default } from './module';
export { spectroCloudAuthApiRef, type SpectroCloudAuthApi } from './spectroCloudAuthApiRef';
