import type { OAuth2 } from '@backstage/core-app-api';
import type { AuthRequestOptions } from '@backstage/frontend-plugin-api';
import { expiresWithin, isSymmetricOrUnsigned, readIdToken } from './idToken';
import type { SpectroCloudAuthApi } from './spectroCloudAuthApiRef';

// Renew an ID token this long before it expires (half the life of a
// short-lived one): longer than the Kubernetes providers' margin, so a
// renewing backend is asked before a token is refused.
const RENEW_BEFORE_EXPIRY = { seconds: 60, lifetimeShare: 0.5 };

// A fresh sign-in may hand out a token that only a refresh replaces (see
// isSymmetricOrUnsigned), so a renewal asks the backend twice at most.
const MAX_REFRESHES_PER_RENEWAL = 2;

function needsRenewal(token: string): boolean {
  const claims = readIdToken(token);
  return !!claims && (isSymmetricOrUnsigned(claims) || expiresWithin(claims, RENEW_BEFORE_EXPIRY));
}

/**
 * The SpectroCloud auth API of the opt-in extension: an OAuth2 session for
 * the backend provider `spectrocloud` that also renews before the ID token's
 * own `exp`.
 *
 * @remarks
 * An OAuth2 session refreshes by the expiry the backend reports, which is the
 * access token's (`expires_in`), not the ID token's. When the ID token is
 * about to expire, a new OAuth2 session asks the backend's refresh endpoint
 * at once: a backend that renews returns a new ID token; one whose refresh
 * fails makes that session ask the user to sign in, once. Each such session
 * registers with the app's OAuth request API, which keeps it: one per ID
 * token lifetime.
 */
export class SpectroCloudAuth implements SpectroCloudAuthApi {
  private readonly session: OAuth2;
  private renewedIdToken?: string;
  private renewal?: Promise<string>;

  constructor(private readonly createSession: () => OAuth2) {
    this.session = createSession();
  }

  async getIdToken(options?: AuthRequestOptions): Promise<string> {
    const token = await this.session.getIdToken(options);
    if (!needsRenewal(token)) return token;
    if (this.renewedIdToken && !needsRenewal(this.renewedIdToken)) return this.renewedIdToken;
    // Callers that arrive while a renewal runs share it.
    this.renewal ??= this.renew(options).finally(() => {
      this.renewal = undefined;
    });
    return this.renewal;
  }

  private async renew(options?: AuthRequestOptions): Promise<string> {
    let token = '';
    for (let attempt = 0; attempt < MAX_REFRESHES_PER_RENEWAL; attempt++) {
      token = await this.createSession().getIdToken(options);
      if (!needsRenewal(token)) break;
    }
    this.renewedIdToken = token;
    return token;
  }

  getAccessToken(scope?: string | string[], options?: AuthRequestOptions) {
    return this.session.getAccessToken(scope, options);
  }

  getProfile(options?: AuthRequestOptions) {
    return this.session.getProfile(options);
  }

  getBackstageIdentity(options?: AuthRequestOptions) {
    return this.session.getBackstageIdentity(options);
  }

  signIn() {
    return this.session.signIn();
  }

  async signOut() {
    this.renewedIdToken = undefined;
    await this.session.signOut();
  }

  sessionState$() {
    return this.session.sessionState$();
  }
}
