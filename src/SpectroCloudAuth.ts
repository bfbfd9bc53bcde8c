import { OAuth2 } from '@backstage/core-app-api';
import {
  ApiBlueprint, configApiRef, discoveryApiRef, oauthRequestApiRef,
  type AuthRequestOptions, type ConfigApi, type DiscoveryApi, type OAuthRequestApi,
} from '@backstage/frontend-plugin-api';
import { idTokenProblem, RENEW_MARGIN } from './idToken';
import { spectroCloudAuthApiRef, type SpectroCloudAuthApi } from './spectroCloudAuthApiRef';

const needsRenewal = (token: string) => idTokenProblem(token, RENEW_MARGIN) !== undefined;

/**
 * The opt-in `auth.spectrocloud`: an OAuth2 session for the backend provider
 * `spectrocloud` that also renews before the ID token's own `exp`.
 *
 * An OAuth2 session refreshes by the access token's expiry, not the ID
 * token's. When the ID token nears its `exp`, or is an `HS*` token as the
 * published backend module hands out after a fresh sign-in, a new session asks
 * the backend's refresh endpoint at once; if that fails, it asks the user to
 * sign in, once, while every caller waits. Each new session stays registered
 * with the app's OAuth request API: one per ID-token lifetime.
 */
export class SpectroCloudAuth implements SpectroCloudAuthApi {
  private readonly session: OAuth2;
  private renewed?: string;
  private renewal?: Promise<string>;
  // Counts sign-outs: a renewal that one overtook belongs to the user before.
  private signOuts = 0;

  constructor(private readonly createSession: () => OAuth2) {
    this.session = createSession();
  }

  async getIdToken(options?: AuthRequestOptions) {
    const signOuts = this.signOuts;
    const token = await this.session.getIdToken(options);
    if (!needsRenewal(token)) return token;
    if (this.renewed && !needsRenewal(this.renewed)) return this.renewed;
    if (!this.renewal) {
      const renewal = this.createSession()
        .getIdToken(options)
        .then(renewed => {
          if (signOuts === this.signOuts) this.renewed = renewed;
          return renewed;
        })
        .finally(() => {
          if (this.renewal === renewal) this.renewal = undefined;
        });
      this.renewal = renewal;
    }
    return this.renewal;
  }

  async signOut() {
    this.signOuts += 1;
    this.renewed = undefined;
    this.renewal = undefined;
    await this.session.signOut();
  }

  getAccessToken = (scope?: string | string[], options?: AuthRequestOptions) => this.session.getAccessToken(scope, options);
  getProfile = (options?: AuthRequestOptions) => this.session.getProfile(options);
  getBackstageIdentity = (options?: AuthRequestOptions) => this.session.getBackstageIdentity(options);
  signIn = () => this.session.signIn();
  sessionState$ = () => this.session.sessionState$();
}

/**
 * A {@link SpectroCloudAuth} for the backend auth provider `provider.id`, with
 * the scopes and `auth.environment` of every SpectroCloud client here.
 */
export function createSpectroCloudAuth(
  apis: { configApi: ConfigApi; discoveryApi: DiscoveryApi; oauthRequestApi: OAuthRequestApi },
  provider: { id: string; title: string },
) {
  return new SpectroCloudAuth(() =>
    OAuth2.create({
      ...apis,
      provider: { ...provider, icon: () => null },
      environment: apis.configApi.getOptionalString('auth.environment'),
      defaultScopes: ['openid', 'profile', 'email'],
    }),
  );
}

// Off by default: apps that get auth.spectrocloud from a SpectroCloud auth
// plugin would otherwise see an API conflict.
export const spectroCloudAuthApi = ApiBlueprint.make({
  name: 'spectrocloud-auth',
  disabled: true,
  params: defineParams =>
    defineParams({
      api: spectroCloudAuthApiRef,
      deps: { configApi: configApiRef, discoveryApi: discoveryApiRef, oauthRequestApi: oauthRequestApiRef },
      factory: apis => createSpectroCloudAuth(apis, { id: 'spectrocloud', title: 'SpectroCloud' }),
    }),
});
