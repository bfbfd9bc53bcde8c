import type { OpenIdConnectApi } from '@backstage/frontend-plugin-api';
import type { TokenSource } from './config';
import type { BackendModuleCheck } from './backendModuleCheck';
import * as errors from './errors';

/** How close to its `exp` an ID token may come: `seconds`, or a share of its life when that is shorter. */
export type ExpiryMargin = { seconds: number; lifetimeShare: number };

// Not sent this close to expiry (clock skew between browser and API server,
// and the request's own time); renewed earlier still, so that a renewing
// backend is asked before a token would be refused.
export const SEND_MARGIN: ExpiryMargin = { seconds: 30, lifetimeShare: 0.25 };
export const RENEW_MARGIN: ExpiryMargin = { seconds: 60, lifetimeShare: 0.5 };

/** Why a Kubernetes API server would refuse the token. */
export type IdTokenProblem =
  /** Signed with a shared secret (`HS*`) or not at all (`none`): never verified. */
  | { alg: string }
  /** Expired, or too close to its `exp`. */
  | { expiresAt: Date }
  /** No ID token at all. */
  | { malformed: 'not a JWS' | 'no alg' | 'exp is not a number' };

/** The JSON object a JWS segment encodes, or undefined (strings keep their UTF-8 bytes: only ASCII claims are read). */
export function decodeObject(segment: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(atob(segment.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a Kubernetes API server would refuse `token` as an ID token within
 * `margin` of now. The signature itself stays the cluster's to check.
 */
export function idTokenProblem(token: string, margin: ExpiryMargin): IdTokenProblem | undefined {
  const parts = token.split('.');
  const [header, payload] = parts.length === 3 ? parts.slice(0, 2).map(decodeObject) : [];
  if (!header || !payload || !/^[A-Za-z0-9_-]*$/.test(parts[2])) return { malformed: 'not a JWS' };
  const { alg } = header;
  const { exp, iat } = payload;
  if (typeof alg !== 'string' || !alg) return { malformed: 'no alg' };
  if (/^(hs|none$)/i.test(alg)) return { alg };
  if (typeof exp !== 'number') return { malformed: 'exp is not a number' };
  const lifetime = typeof iat === 'number' ? Math.max(0, exp - iat) : Infinity;
  const marginSeconds = Math.min(margin.seconds, lifetime * margin.lifetimeShare);
  return exp - Date.now() / 1000 < marginSeconds ? { expiresAt: new Date(exp * 1000) } : undefined;
}

// A usable ID token, or an error naming the cause and the fix: no request
// goes to a cluster without a token as if it had one.
function usableIdToken(token: unknown, source: TokenSource): string {
  if (typeof token !== 'string' || !token.trim()) throw errors.idTokenMissing(source);
  const problem = idTokenProblem(token, SEND_MARGIN);
  if (problem && 'expiresAt' in problem) throw errors.sessionExpired(source, problem.expiresAt);
  if (problem) throw errors.notAnIdToken(source, 'alg' in problem ? `a ${problem.alg} token` : `no ID token (${problem.malformed})`);
  return token;
}

/** The auth API as pod logs' proxy sees it: a sign-in when needed, then a usable ID token or an error. */
export function guardIdTokens(auth: OpenIdConnectApi, source: TokenSource): OpenIdConnectApi {
  return {
    async getIdToken(options) {
      const token = await auth.getIdToken(options).catch(error => Promise.reject(errors.signInRequired(source, error)));
      return usableIdToken(token, source);
    },
  };
}

/**
 * The auth API as the tab's objects request sees it. That request carries
 * every cluster's credentials every 10 seconds, so a user without a usable
 * token is asked once, without waiting, instead of every 10 seconds. Where
 * the backend module shows the other clusters the request goes on without
 * the token (or with an unusable one, which the backend module refuses
 * saying why); elsewhere it fails saying so. Asked again once the user has
 * had a usable token, or when asking brought back the same token: a backend
 * that cannot renew serves it until its exp, with no sign-in.
 */
export function askOnce(auth: OpenIdConnectApi, source: TokenSource, backendModuleServes: BackendModuleCheck): OpenIdConnectApi {
  let asked = false;
  return {
    async getIdToken() {
      const token = await auth.getIdToken({ optional: true }).catch(() => '');
      const problem = token ? idTokenProblem(token, SEND_MARGIN) : undefined;
      if (token && !problem) {
        asked = false;
        return token;
      }
      if (!asked && (!problem || 'expiresAt' in problem)) {
        asked = true;
        // A rejected or closed sign-in is the user's answer, not an error.
        auth.getIdToken().then(answer => void (answer === token && (asked = false)), () => {});
      }
      if (token) return (await backendModuleServes(source)) ? token : usableIdToken(token, source);
      if (await backendModuleServes(source)) return '';
      throw errors.signInOrAddBackendModule(source);
    },
  };
}
