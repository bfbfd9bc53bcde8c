import type { OpenIdConnectApi } from '@backstage/frontend-plugin-api';
import type { KubernetesAuthProvidersApi } from '@backstage/plugin-kubernetes-react';
import { redactTokens } from './redactTokens';

// Named by @backstage/plugin-kubernetes-common; taken from the API to avoid a
// dependency for one type.
type KubernetesRequestBody = Parameters<
  KubernetesAuthProvidersApi['decorateRequestBodyForAuth']
>[1];

/**
 * Serves `oidc.<tokenProviderName>` from the SpectroCloud auth API and hands
 * every other auth provider to the stock `KubernetesAuthProviders`.
 *
 * A real ID token is passed through; every other outcome (no sign-in, a
 * dismissed or rejected sign-in, an empty token) becomes an error that names
 * SpectroCloud sign-in, so no request is ever sent without the token as if it
 * had one.
 */
export class SpectroCloudKubernetesAuthProviders
  implements KubernetesAuthProvidersApi
{
  private readonly authProvider: string;

  constructor(
    private readonly options: {
      stock: KubernetesAuthProvidersApi;
      spectroCloudAuthApi: OpenIdConnectApi;
      tokenProviderName: string;
    },
  ) {
    this.authProvider = `oidc.${options.tokenProviderName}`;
  }

  // Not async: other providers go straight to the stock implementation.
  decorateRequestBodyForAuth(
    authProvider: string,
    requestBody: KubernetesRequestBody,
  ): Promise<KubernetesRequestBody> {
    if (authProvider !== this.authProvider) {
      return this.options.stock.decorateRequestBodyForAuth(
        authProvider,
        requestBody,
      );
    }
    return this.idToken().then(token => {
      const auth = requestBody.auth ?? {};
      const oidc = (auth.oidc ?? {}) as Record<string, string>;
      requestBody.auth = {
        ...auth,
        oidc: { ...oidc, [this.options.tokenProviderName]: token },
      };
      return requestBody;
    });
  }

  getCredentials(authProvider: string): Promise<{ token?: string }> {
    if (authProvider !== this.authProvider) {
      return this.options.stock.getCredentials(authProvider);
    }
    return this.idToken().then(token => ({ token }));
  }

  private idToken(): Promise<string> {
    const name = this.options.tokenProviderName;
    return this.options.spectroCloudAuthApi.getIdToken().then(
      (token: unknown) => {
        if (typeof token !== 'string' || token.trim() === '') {
          throw new Error(
            `SpectroCloud sign-in returned no ID token for clusters with oidcTokenProvider '${name}', ` +
              `so no credentials were sent. Make sure the SpectroCloud auth provider requests the 'openid' scope, then sign in with SpectroCloud again.`,
          );
        }
        return token;
      },
      (error: unknown) => {
        const cause =
          error instanceof Error
            ? `${error.name}: ${redactTokens(error.message)}`
            : 'unknown error';
        throw new Error(
          `SpectroCloud sign-in is required for clusters with oidcTokenProvider '${name}', ` +
            `but it did not complete (${cause}). Sign in with SpectroCloud and try again.`,
        );
      },
    );
  }
}
