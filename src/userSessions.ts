import type { BackstageIdentityApi, IdentityApi, OpenIdConnectApi, SessionApi } from '@backstage/frontend-plugin-api';
import type { KubernetesAuthProvidersApi } from '@backstage/plugin-kubernetes-react';
import type { TokenSource } from './config';

/** A SpectroCloud auth API: the OIDC part is required, the rest is used where present. */
export type SpectroCloudSessionApi = OpenIdConnectApi & Partial<BackstageIdentityApi & SessionApi>;

// Backstage's SignInPage (core-components) keeps the provider a user signed
// in with under this key, and removes it at sign-out.
const SIGN_IN_PAGE_KEY = '@backstage/core:SignInPage:provider';
const ownerKey = (source: TokenSource) => `backstage-plugin-kubernetes-module-spectrocloud-auth:session-owner:${source.name}`;

let signInPageKeyAtLoad: string | null | undefined;

/** Notes whether someone was signed in as the app loaded (before the sign-in page renders). */
export function noteSignInAtLoad() {
  signInPageKeyAtLoad = localStorage.getItem(SIGN_IN_PAGE_KEY);
}

// Someone signed in on the sign-in page after the app loaded: whoever used
// this browser before signed out, however Backstage's identity calls them.
const signedInSinceLoad = () => signInPageKeyAtLoad === null && localStorage.getItem(SIGN_IN_PAGE_KEY) !== null;

/**
 * `auth`, serving only the Backstage user whose session it is. A SpectroCloud
 * session outlives Backstage's sign-out in its refresh cookie, which a silent
 * refresh would hand to the browser's next user. So before its first token in
 * a page, a session is kept only if this browser's owner record names the
 * signed-in user and no one signed in since the app loaded, or if the
 * session's own Backstage identity is that user; otherwise it is signed out.
 */
export function forSignedInUser(auth: SpectroCloudSessionApi, source: TokenSource, identityApi: IdentityApi): OpenIdConnectApi {
  let claim: Promise<void> | undefined;
  const claimSession = async () => {
    const user = (await identityApi.getBackstageIdentity()).userEntityRef;
    if (localStorage.getItem(ownerKey(source)) === user && !signedInSinceLoad()) return;
    const session = await auth.getBackstageIdentity?.({ optional: true }).catch(() => undefined);
    if (session?.identity.userEntityRef !== user) await auth.signOut?.();
    localStorage.setItem(ownerKey(source), user);
  };
  return {
    async getIdToken(options) {
      claim ??= claimSession().catch(error => {
        claim = undefined;
        throw error;
      });
      await claim;
      return auth.getIdToken(options);
    },
  };
}

/** A token source: its auth API for the signed-in user's tokens, and the session behind it. */
export type SourceSession = { source: TokenSource; auth: OpenIdConnectApi; session: SpectroCloudSessionApi };

/** This module's Kubernetes auth providers, with the sessions whose tokens they send, for the access page. */
export type SpectroCloudAuthProviders = KubernetesAuthProvidersApi & { sessions: SourceSession[] };
