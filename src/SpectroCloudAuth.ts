import { OAuth2 } from '@backstage/core-app-api';
import { ApiBlueprint, configApiRef, discoveryApiRef, oauthRequestApiRef, type AuthRequestOptions, type ConfigApi, type DiscoveryApi, type OAuthRequestApi } from '@backstage/frontend-plugin-api';
import { idTokenProblem, RENEW_MARGIN } from './idToken';
import { spectroCloudAuthApiRef, type SpectroCloudAuthApi } from './spectroCloudAuthApiRef';

const needsRenewal = (token: string) => idTokenProblem(token, RENEW_MARGIN) !== undefined;

// A renewal that brought no better token (a browser clock running ahead, a
// backend that serves the same token) is not repeated sooner for that token.
const RENEWAL_RETRY_MS = 30_000;
// How long a sign-out waits for a silent renewal's refresh.
const SIGN_OUT_WAIT_MS = 5_000;

/**
 * The opt-in `auth.spectrocloud`: an OAuth2 session that also renews by the
 * ID token's own `exp` (OAuth2 goes by the access token's), and replaces the
 * `HS*` token the published backend module hands out after a sign-in. A new
 * session asks the refresh endpoint, once for all callers; only a call that
 * is not `optional` goes on to a sign-in when that brings no usable token.
 */
export class SpectroCloudAuth implements SpectroCloudAuthApi {
  private readonly session: OAuth2;
  private renewed?: string;
  private renewal?: { interactive: boolean; promise: Promise<string> };
  private lastRenewal?: { of: string; at: number; interactive: boolean; result: string };
  // Counts sign-outs: a renewal that one overtook belongs to the user before.
  private signOuts = 0;

  constructor(private readonly createSession: () => OAuth2) {
    this.session = createSession();
  }

  async getIdToken(options?: AuthRequestOptions) {
    const signOuts = this.signOuts;
    const token = await this.session.getIdToken(options);
    if (!token || !needsRenewal(token)) return token;
    const current = this.renewed ?? token;
    if (!needsRenewal(current)) return current;
    let renewed = await this.renew(current, false);
    // A sign-in helps only where the backend has no session to renew.
    if (!renewed && !options?.optional) renewed = await this.renew(current, true);
    if (signOuts !== this.signOuts) throw new Error('Signed out while the ID token was renewed');
    return renewed || current;
  }

  // One renewal at a time, each in a session of its own.
  private renew(stale: string, interactive: boolean): Promise<string> {
    if (this.renewal) return this.renewal.interactive && !interactive ? Promise.resolve('') : this.renewal.promise;
    const last = this.lastRenewal;
    if (last?.of === stale && last.interactive === interactive && Date.now() - last.at < RENEWAL_RETRY_MS) return Promise.resolve(last.result);
    const signOuts = this.signOuts;
    const session = this.createSession();
    const promise = session
      .getIdToken({ optional: !interactive })
      .then(async result => {
        if (signOuts !== this.signOuts) {
          // A sign-out overtook it: end whatever session its refresh restored.
          await session.signOut().catch(() => {});
          return '';
        }
        this.lastRenewal = { of: stale, at: Date.now(), interactive, result };
        if (result) this.renewed = result;
        return result;
      })
      .finally(() => {
        if (this.renewal?.promise === promise) this.renewal = undefined;
      });
    this.renewal = { interactive, promise };
    return promise;
  }

  async signOut() {
    this.signOuts += 1;
    const renewal = this.renewal;
    this.renewed = undefined;
    this.lastRenewal = undefined;
    this.renewal = undefined;
    // A silent refresh may still set the session cookie: let it land before
    // the logout clears it. A sign-in dialog ends its own session instead.
    if (renewal && !renewal.interactive) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([renewal.promise.catch(() => {}), new Promise(resolve => (timer = setTimeout(resolve, SIGN_OUT_WAIT_MS)))]);
      clearTimeout(timer);
    }
    await this.session.signOut();
  }

  getAccessToken = (scope?: string | string[], options?: AuthRequestOptions) => this.session.getAccessToken(scope, options);
  getProfile = (options?: AuthRequestOptions) => this.session.getProfile(options);
  getBackstageIdentity = (options?: AuthRequestOptions) => this.session.getBackstageIdentity(options);
  signIn = () => this.session.signIn();
  sessionState$ = () => this.session.sessionState$();
}

/** A {@link SpectroCloudAuth} for the backend auth provider `provider.id`. */
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
