import type { DiscoveryApi, FetchApi, OpenIdConnectApi } from '@backstage/frontend-plugin-api';
import type { TokenSource } from './config';
import * as errors from './errors';
import { idTokenProblem, SEND_MARGIN } from './idToken';

// A usable ID token, or an error that names the cause and the fix, so that
// no request goes to a cluster without a token as if it had one.
function usableIdToken(token: unknown, source: TokenSource): string {
  if (typeof token !== 'string' || !token.trim()) throw errors.idTokenMissing(source);
  const problem = idTokenProblem(token, SEND_MARGIN);
  if (problem && 'expiresAt' in problem) throw errors.sessionExpired(source, problem.expiresAt);
  if (problem) throw errors.notAnIdToken(source, 'alg' in problem ? `a ${problem.alg} token` : `no ID token (${problem.malformed})`);
  return token;
}

/**
 * The SpectroCloud auth API as the proxy behind pod logs sees it: asks the
 * user to sign in when they have no session, and gives a usable ID token or
 * an error.
 */
export function guardIdTokens(auth: OpenIdConnectApi, source: TokenSource): OpenIdConnectApi {
  return {
    async getIdToken(options) {
      let token: unknown;
      try {
        token = await auth.getIdToken(options);
      } catch (error) {
        throw errors.signInRequired(source, error);
      }
      return usableIdToken(token, source);
    },
  };
}

/** Whether the Kubernetes backend runs the backend module for a token source. */
export type BackendModuleCheck = (source: TokenSource) => Promise<boolean>;

/**
 * The SpectroCloud auth API as the Kubernetes tab's objects request sees it.
 * That one request carries every cluster's credentials and repeats every 10
 * seconds, so a user without a session is asked once, without waiting: asked
 * on each request, they would get the sign-in dialog back every 10 seconds,
 * and every cluster would wait for it. Where the backend module shows the
 * other clusters, the request goes on without the token, or with an unusable
 * one, which the backend module refuses for its own clusters, saying why;
 * elsewhere it fails saying so. Asked again once the user has had a session.
 */
export function askOnce(auth: OpenIdConnectApi, source: TokenSource, backendModuleServes: BackendModuleCheck): OpenIdConnectApi {
  let asked = false;
  return {
    async getIdToken() {
      const token = await auth.getIdToken({ optional: true }).catch(() => '');
      if (token) {
        asked = false;
        if (idTokenProblem(token, SEND_MARGIN) && (await backendModuleServes(source))) return token;
        return usableIdToken(token, source);
      }
      if (!asked) {
        asked = true;
        // A rejected or closed sign-in is the user's answer, not an error.
        auth.getIdToken().catch(() => {});
      }
      if (await backendModuleServes(source)) return '';
      throw errors.signInOrAddBackendModule(source);
    },
  };
}

/** Where the backend module says which token providers it serves. */
const TOKEN_PROVIDERS_PATH = '/spectrocloud-auth/token-providers';
const CHECK_TIMEOUT_MS = 5_000;

/**
 * Asks the Kubernetes backend which token providers its backend module
 * serves. A 404 means no backend module; only a 200 is kept, so a backend
 * that was restarting or did not answer in time is asked again.
 */
export function backendModuleCheck(discoveryApi: DiscoveryApi, fetchApi: FetchApi): BackendModuleCheck {
  let answer: Promise<string[] | undefined> | undefined;
  const ask = async (source: TokenSource) => {
    const url = `${await discoveryApi.getBaseUrl('kubernetes')}${TOKEN_PROVIDERS_PATH}`;
    const aborted = new AbortController();
    const timer = setTimeout(() => aborted.abort(errors.backendModuleCheckFailed(source, `no answer in ${CHECK_TIMEOUT_MS / 1000} s`)), CHECK_TIMEOUT_MS);
    const response = await fetchApi
      .fetch(url, { signal: aborted.signal })
      .catch(error => Promise.reject(aborted.signal.aborted ? aborted.signal.reason : errors.backendModuleCheckFailed(source, String(error?.name))))
      .finally(() => clearTimeout(timer));
    if (response.status === 404) return undefined;
    if (!response.ok) throw errors.backendModuleCheckFailed(source, `HTTP ${response.status}`);
    const { tokenProviders, conflict }: { tokenProviders: string[]; conflict?: string } = await response.json();
    if (conflict) throw errors.backendModuleOverruled(conflict);
    return tokenProviders;
  };
  return async source => {
    const asking = (answer ??= ask(source));
    const served = await asking.catch(error => {
      answer = undefined;
      throw error;
    });
    if (!served) {
      answer = undefined;
      return false;
    }
    if (!served.includes(source.name)) throw errors.backendConfigMismatch(source, served);
    return true;
  };
}
