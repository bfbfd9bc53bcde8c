import type { OpenIdConnectApi } from '@backstage/frontend-plugin-api';
import type { KubernetesAuthProvidersApi } from '@backstage/plugin-kubernetes-react';
import { expiresWithin, isSymmetricOrUnsigned, readIdToken } from './idToken';
import { redactTokens } from './redactTokens';

// An ID token that expires sooner than this is not sent: the margin covers
// the difference between this browser's clock and the API server's, and the
// time the request takes. Short-lived tokens get a quarter of their life.
const CLOCK_SKEW = { seconds: 30, lifetimeShare: 0.25 };

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

// Named by @backstage/plugin-kubernetes-common; taken from the API to avoid a
// dependency for one type.
type KubernetesRequestBody = Parameters<
  KubernetesAuthProvidersApi['decorateRequestBodyForAuth']
>[1];

/**
 * Serves `oidc.<tokenProviderName>` from the SpectroCloud auth API and hands
 * every other auth provider to the stock `KubernetesAuthProviders`.
 *
 * A usable ID token is passed through; every other outcome (no sign-in, a
 * dismissed or rejected sign-in, an empty token, an expired token or one with
 * a symmetric signature) becomes an error that names the cause and the fix,
 * so no request is ever sent without a token as if it had one.
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

  private async idToken(): Promise<string> {
    const token = await this.fetchIdToken();
    if (!this.problemWith(token)) return token;
    // Ask once more: an auth API that knows when the ID token expires renews
    // it now, one that does not hands out the same token again.
    const renewed = await this.fetchIdToken();
    const problem = this.problemWith(renewed);
    if (problem) throw problem;
    return renewed;
  }

  private fetchIdToken(): Promise<string> {
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

  /** Why a token must not be sent, if it must not; tokens that are no readable JWT are sent as they are. */
  private problemWith(token: string): Error | undefined {
    const claims = readIdToken(token);
    if (!claims) return undefined;
    const name = this.options.tokenProviderName;
    if (isSymmetricOrUnsigned(claims)) {
      return namedError(
        'SpectroCloudTokenNotAnIdTokenError',
        `SpectroCloud sign-in handed out a token signed with ${claims.alg}, which no Kubernetes API server accepts as an ID token ` +
          `(they verify RS, ES and PS signatures only), so nothing was sent to clusters with oidcTokenProvider '${name}'. ` +
          `The published @terasky/backstage-plugin-spectrocloud-auth-backend does this after a fresh sign-in when Palette returns an HS256 ` +
          `refresh_token: it serves that token as the ID token until its next refresh. Reload the page to refresh the session, ` +
          `or run a backend auth provider that returns Palette's ID token.`,
      );
    }
    if (expiresWithin(claims, CLOCK_SKEW)) {
      return namedError(
        'SpectroCloudSessionExpiredError',
        `Your SpectroCloud session has expired: its ID token is valid until ${claims.expiresAt!.toISOString()} ` +
          `(this browser's clock reads ${new Date().toISOString()}), and no fresh one could be had, ` +
          `so nothing was sent to clusters with oidcTokenProvider '${name}'. Sign in with SpectroCloud again.`,
      );
    }
    return undefined;
  }
}
