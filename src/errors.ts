// Every error this module reports. Each name is a row of the README's
// troubleshooting table, which the message points to.
const error = (name: string, message: string) => Object.assign(new Error(`${message} See ${name} in the README.`), { name });

// Where a user sees their sessions and signs in to each.
const ON_ACCESS_PAGE = ' (or on the Kubernetes access page)';

/** A token source, as messages name it: its title and its clusters' oidcTokenProvider. */
type Source = { name: string; title: string };
const forClusters = (source: Source) => `for oidcTokenProvider '${source.name}'`;

export const signInRequired = (source: Source, cause: unknown) =>
  error('SpectroCloudSignInRequiredError', `${source.title} sign-in ${forClusters(source)} did not complete (${cause instanceof Error ? cause.name : 'no reason given'}). Sign in and try again${ON_ACCESS_PAGE}.`);
export const backendModuleCheckFailed = (source: Source, cause: string) =>
  error('SpectroCloudBackendCheckError', `The Kubernetes backend did not say whether it shows clusters without a ${source.title} token (${cause}), so this request needs the token ${forClusters(source)}. Sign in, or wait: the tab asks again on its next update.`);
export const backendConfigMismatch = (source: Source, served: string[]) =>
  error('SpectroCloudConfigMismatchError', `The Kubernetes backend's SpectroCloud module serves oidcTokenProvider ${served.map(name => `'${name}'`).join(', ') || 'none'}, not '${source.name}'. Give the app and the backend the same kubernetes.spectroCloudAuth.`);
// The backend module's own message, which names the conflict and the fix.
export const backendModuleOverruled = (message: string) => error('SpectroCloudOidcStrategyConflictError', message.replace(/ See \S+ in the README\.$/, ''));
export const signInOrAddBackendModule = (source: Source) =>
  error('SpectroCloudSignInRequiredError', `Not signed in with ${source.title} ${forClusters(source)}, and the Kubernetes backend shows no cluster without that token: sign in${ON_ACCESS_PAGE}, or add backstage-plugin-kubernetes-backend-module-spectrocloud-auth to the backend to see the other clusters.`);
export const idTokenMissing = (source: Source) =>
  error('SpectroCloudIdTokenMissingError', `${source.title} gave no ID token ${forClusters(source)}. Request the 'openid' scope.`);
export const notAnIdToken = (source: Source, token: string) =>
  error('SpectroCloudTokenNotAnIdTokenError', `${source.title} gave ${token} ${forClusters(source)}, which Kubernetes refuses. Reload, or use a backend that returns Palette's ID token.`);
export const sessionExpired = (source: Source, expiresAt: Date) =>
  error('SpectroCloudSessionExpiredError', `The ${source.title} ID token ${forClusters(source)} is valid until ${expiresAt.toISOString()} (browser clock: ${new Date().toISOString()}). Sign in again${ON_ACCESS_PAGE}.`);
export const invalidTokenProviderName = (key: string, name: string, suggestion?: string) =>
  error('SpectroCloudTokenProviderNameError', `${key} '${name}' must be a lowercase header token, not a stock provider. ${suggestion ? `Use '${suggestion}' there and as the clusters' oidcTokenProvider.` : 'Choose another name.'}`);
export const invalidEnvironment = (key: string, problem: string) =>
  error('SpectroCloudEnvironmentError', `${key} is refused: ${problem}.`);
export const missingSpectroCloudAuthApi = () =>
  error('MissingSpectroCloudAuthApiError', 'No auth.spectrocloud API is registered. Enable api:kubernetes/spectrocloud-auth, or install a plugin that provides it.');
export const missingKubernetesAuthProviders = () =>
  error('MissingKubernetesAuthProvidersError', 'App-config disables api:kubernetes/auth-providers and api:kubernetes/spectrocloud-auth-providers. Enable the latter.');
export const kubernetesAuthProvidersOverridden = (extensionIds: string[]) =>
  error('KubernetesAuthProvidersOverriddenError', `${extensionIds.join(' and ')} also provides the Kubernetes auth providers API. Disable it: app.extensions: [{ ${extensionIds[0]}: false }].`);
