import type {
  AuthRequestOptions,
  OpenIdConnectApi,
} from '@backstage/frontend-plugin-api';

// Anything shaped like a JWT or a bearer credential. Error texts from auth
// clients are shown in the Kubernetes tab, so they are scrubbed first.
const TOKEN_LIKE =
  /\b(?:Bearer\s+\S+|[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)/g;

/** Replaces token-like text in a message with `[redacted]`. */
export function redactTokens(text: string): string {
  return text.replace(TOKEN_LIKE, '[redacted]');
}

/**
 * The OIDC token source the Kubernetes plugin calls for SpectroCloud
 * clusters. It passes through a real ID token and turns every other outcome
 * (no sign-in, a dismissed or rejected sign-in, an empty token) into an error
 * that names SpectroCloud sign-in, so no request is ever sent without the
 * token as if it had one.
 */
export class SpectroCloudIdTokenProvider implements OpenIdConnectApi {
  constructor(
    private readonly authApi: OpenIdConnectApi,
    private readonly tokenProviderName: string,
  ) {}

  async getIdToken(options?: AuthRequestOptions): Promise<string> {
    let token: unknown;
    try {
      token = await this.authApi.getIdToken(options);
    } catch (error) {
      const cause =
        error instanceof Error
          ? `${error.name}: ${redactTokens(error.message)}`
          : 'unknown error';
      throw new Error(
        `SpectroCloud sign-in is required for clusters with oidcTokenProvider '${this.tokenProviderName}', ` +
          `but it did not complete (${cause}). Sign in with SpectroCloud and try again.`,
      );
    }
    if (typeof token !== 'string' || token.trim() === '') {
      throw new Error(
        `SpectroCloud sign-in returned no ID token for clusters with oidcTokenProvider '${this.tokenProviderName}', ` +
          `so no credentials were sent. Make sure the SpectroCloud auth provider requests the 'openid' scope, then sign in with SpectroCloud again.`,
      );
    }
    return token;
  }
}
