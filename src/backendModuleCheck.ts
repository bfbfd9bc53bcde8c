import type { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import type { TokenSource } from './config';
import * as errors from './errors';

/** Whether the Kubernetes backend runs the backend module for a token source. */
export type BackendModuleCheck = (source: TokenSource) => Promise<boolean>;

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
    const served = await (answer ??= ask(source)).catch(error => {
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
