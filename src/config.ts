import type { ConfigApi } from '@backstage/frontend-plugin-api';

/** The app-config key that holds the token-provider name. */
const TOKEN_PROVIDER_NAME_KEY = 'kubernetes.spectroCloudAuth.tokenProviderName';

/** The name used when the app-config key is not set. */
const DEFAULT_TOKEN_PROVIDER_NAME = 'spectrocloud';

/**
 * The OIDC token providers the stock Kubernetes plugin offers. The module
 * keeps all of them, so SpectroCloud may not take one of their names.
 */
const STOCK_OIDC_PROVIDER_NAMES = [
  'gitlab',
  'google',
  'microsoft',
  'okta',
  'onelogin',
] as const;

// An HTTP header token (RFC 9110 "tchar"): the proxy path sends the ID token in
// the header `Backstage-Kubernetes-Authorization-oidc-<name>`.
const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Reads and validates the OIDC token-provider name the SpectroCloud clusters
 * use (`oidcTokenProvider` in cluster config, `oidcAuthProviderName` in the
 * SpectroCloud cluster provider).
 *
 * @throws Error naming the config key and the rule when the value is invalid.
 */
export function readTokenProviderName(config: ConfigApi): string {
  const value = config.getOptional(TOKEN_PROVIDER_NAME_KEY);
  if (value === undefined) {
    return DEFAULT_TOKEN_PROVIDER_NAME;
  }
  const fail = (rule: string): never => {
    throw new Error(
      `Invalid app-config at ${TOKEN_PROVIDER_NAME_KEY}: ${rule}. ` +
        `Set it to the oidcTokenProvider of your SpectroCloud clusters, or remove it to use '${DEFAULT_TOKEN_PROVIDER_NAME}'.`,
    );
  };
  if (typeof value !== 'string') {
    return fail(`expected a string, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  if (value === '') {
    return fail('must not be empty');
  }
  if (!HEADER_TOKEN.test(value)) {
    return fail(
      `${JSON.stringify(value)} is not a valid HTTP header token (use letters, digits and !#$%&'*+-.^_\`|~ only)`,
    );
  }
  if ((STOCK_OIDC_PROVIDER_NAMES as readonly string[]).includes(value)) {
    return fail(
      `'${value}' is already the Kubernetes plugin's own OIDC provider (${STOCK_OIDC_PROVIDER_NAMES.join(', ')}); choose another name`,
    );
  }
  return value;
}
