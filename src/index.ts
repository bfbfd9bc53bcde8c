/**
 * Kubernetes plugin module that lets users reach clusters with their own
 * SpectroCloud (Palette) OIDC ID token.
 *
 * @packageDocumentation
 */

export { kubernetesModuleSpectroCloudAuth as default } from './module';
export { spectroCloudAuthApiRef, type SpectroCloudAuthApi } from './spectroCloudAuthApiRef';
