// Errors that stop the backend at start. Each name is a row of the README's
// troubleshooting table, which the message points to, as the frontend
// module's errors (src/errors.ts) do; the config errors are theirs, word for
// word, which src/config.test.ts checks.
const error = (name: string, message: string) => Object.assign(new Error(`${message} See ${name} in the README.`), { name });

export const invalidTokenProviderName = (key: string, name: string, suggestion?: string) =>
  error('SpectroCloudTokenProviderNameError', `${key} '${name}' must be a lowercase header token, not a stock provider. ${suggestion ? `Use '${suggestion}' there and as the clusters' oidcTokenProvider.` : 'Choose another name.'}`);

export const invalidEnvironment = (key: string, problem: string) =>
  error('SpectroCloudEnvironmentError', `${key} is refused: ${problem}.`);

const MODULE = 'backstage-plugin-kubernetes-backend-module-spectrocloud-auth';

/** Another module registered the `oidc` strategy before this one: one of the two would be lost. */
export const oidcRegisteredBefore = () =>
  error('SpectroCloudOidcStrategyConflictError', `Another module of the Kubernetes backend registered the auth strategy 'oidc' before ${MODULE}, which registers its own for SpectroCloud clusters. Keep one of the two modules.`);

/** Another module registered the `oidc` strategy after this one, and the backend kept theirs. */
export const oidcRegisteredAfter = () =>
  error('SpectroCloudOidcStrategyConflictError', `Another module of the Kubernetes backend registered the auth strategy 'oidc' after ${MODULE}, and the backend uses that one: SpectroCloud clusters get the token without this module's checks (allowedCatalogClusterUrls, expiry, signature algorithm), and a missing SpectroCloud token fails the whole response. Keep one of the two modules.`);
