/**
 * Kubernetes backend module for the SpectroCloud auth module of the
 * Kubernetes plugin: a cluster that needs a SpectroCloud (Palette) ID token
 * the user does not have shows its own error, and the other clusters show.
 *
 * @packageDocumentation
 */

export { kubernetesModuleSpectroCloudAuth as default } from './module';
