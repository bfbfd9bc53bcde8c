// Every error this module reports. Each name is a row of the README's
// troubleshooting table, which the message points to.
class SpectroCloudAuthError extends Error {
  constructor(name: string, message: string) {
    super(`${message} See ${name} in the README.`);
    this.name = name;
  }
}

const error = (name: string, message: string) => new SpectroCloudAuthError(name, message);
const forClusters = (provider: string) => `for oidcTokenProvider '${provider}'`;

export const signInRequired = (provider: string, cause: unknown) =>
  error('SpectroCloudSignInRequiredError', `SpectroCloud sign-in ${forClusters(provider)} did not complete (${cause instanceof Error ? cause.name : 'no reason given'}). Sign in and try again.`);

export const signInOrAddBackendModule = (provider: string) =>
  error('SpectroCloudSignInRequiredError', `Not signed in with SpectroCloud ${forClusters(provider)}, and the Kubernetes backend shows no cluster without that token: sign in, or add backstage-plugin-kubernetes-backend-module-spectrocloud-auth to the backend to see the other clusters.`);

export const idTokenMissing = (provider: string) =>
  error('SpectroCloudIdTokenMissingError', `SpectroCloud gave no ID token ${forClusters(provider)}. Request the 'openid' scope.`);

export const notAnIdToken = (provider: string, alg: string) =>
  error('SpectroCloudTokenNotAnIdTokenError', `SpectroCloud gave a ${alg} token ${forClusters(provider)}, which Kubernetes refuses. Reload, or use a backend that returns Palette's ID token.`);

export const sessionExpired = (provider: string, expiresAt: Date) =>
  error('SpectroCloudSessionExpiredError', `The SpectroCloud ID token ${forClusters(provider)} is valid until ${expiresAt.toISOString()} (browser clock: ${new Date().toISOString()}). Sign in again.`);

export const invalidTokenProviderName = (name: string, suggestion?: string) =>
  error('SpectroCloudTokenProviderNameError', `kubernetes.spectroCloudAuth.tokenProviderName '${name}' must be a lowercase header token, not a stock provider. ${suggestion ? `Use '${suggestion}' there and as the clusters' oidcTokenProvider.` : 'Choose another name.'}`);

export const missingSpectroCloudAuthApi = () =>
  error('MissingSpectroCloudAuthApiError', 'No auth.spectrocloud API is registered. Enable api:kubernetes/spectrocloud-auth, or install a plugin that provides it.');

export const missingKubernetesAuthProviders = () =>
  error('MissingKubernetesAuthProvidersError', 'App-config disables api:kubernetes/auth-providers and api:kubernetes/spectrocloud-auth-providers. Enable the latter.');

export const kubernetesAuthProvidersOverridden = (extensionIds: string[]) =>
  error('KubernetesAuthProvidersOverriddenError', `${extensionIds.join(' and ')} also provides the Kubernetes auth providers API. Disable it: app.extensions: [{ ${extensionIds[0]}: false }].`);
