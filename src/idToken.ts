import type { OpenIdConnectApi } from '@backstage/frontend-plugin-api';
import type { TokenSource } from './config';
import type { BackendModuleCheck } from './backendModuleCheck';
import * as errors from './errors';

/** How close to its `exp` an ID token may come: `seconds`, or a share of its life when that is shorter. */
export type ExpiryMargin = { seconds: number; lifetimeShare: number };

// A token is not sent to a cluster this close to its expiry: the margin
// covers the gap between this browser's clock and the API server's, and the
// request's time. The opt-in auth API renews earlier than that, so a
// renewing backend is asked before a token would be refused.
export const SEND_MARGIN: ExpiryMargin = { seconds: 30, lifetimeShare: 0.25 };
export const RENEW_MARGIN: ExpiryMargin = { seconds: 60, lifetimeShare: 0.5 };

/** What makes a token no ID token at all for a Kubernetes API server. */
export type MalformedIdToken = 'not a JWS' | 'no alg' | 'exp is not a number';

/** Why a Kubernetes API server would refuse the token. */
export type IdTokenProblem =
  /** Signed with a shared secret (`HS*`) or not at all (`none`): never verified. */
  | { alg: string }
  /** Expired, or too close to its `exp`. */
  | { expiresAt: Date }
  /** No ID token at all. */
  | { malformed: MalformedIdToken };

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The JSON object a JWS segment encodes, or undefined. Its strings keep
 * their UTF-8 bytes as characters: the checks read only ASCII claims.
 */
export function decodeObject(segment: string): Record<string, unknown> | undefined {
  if (!BASE64URL.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(atob(segment.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const malformed = (defect: MalformedIdToken): IdTokenProblem => ({ malformed: defect });

/**
 * Why a Kubernetes API server would refuse `token` as an ID token within
 * `margin` of now: it is no JWS with a JSON header and payload (an opaque
 * token, a JWE), names no `alg`, is signed symmetrically (`HS*`) or not at
 * all (`none`), which an API server never verifies, or has an `exp` that is
 * not a number or too close. The signature itself stays the cluster's to check.
 */
export function idTokenProblem(token: string, margin: ExpiryMargin): IdTokenProblem | undefined {
  const parts = token.split('.');
  const [header, payload] = parts.length === 3 ? parts.slice(0, 2).map(decodeObject) : [];
  if (!header || !payload || !/^[A-Za-z0-9_-]*$/.test(parts[2])) return malformed('not a JWS');
  const { alg } = header;
  const { exp, iat } = payload;
  if (typeof alg !== 'string' || !alg) return malformed('no alg');
  if (/^(hs|none$)/i.test(alg)) return { alg };
  if (typeof exp !== 'number') return malformed('exp is not a number');
  const lifetime = typeof iat === 'number' ? Math.max(0, exp - iat) : Infinity;
  const marginSeconds = Math.min(margin.seconds, lifetime * margin.lifetimeShare);
  return exp - Date.now() / 1000 < marginSeconds ? { expiresAt: new Date(exp * 1000) } : undefined;
}

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

/**
 * The SpectroCloud auth API as the Kubernetes tab's objects request sees it.
 * That one request carries every cluster's credentials and repeats every 10
 * seconds, so a user without a session is asked once, without waiting: asked
 * on each request, they would get the sign-in dialog back every 10 seconds,
 * and every cluster would wait for it. Where the backend module shows the
 * other clusters, the request goes on without the token, or with an unusable
 * one, which the backend module refuses for its own clusters, saying why;
 * elsewhere it fails saying so. A token that expired and was not renewed (a
 * backend that cannot refresh keeps handing it out) asks too: only a sign-in
 * brings a new one. Asked again once the user has had a usable token, or
 * when asking brought back the token already here, without a sign-in.
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
        // A rejected or closed sign-in is the user's answer, not an error. An
        // answer that is the token already here came without a sign-in (a
        // backend that cannot renew serves it until its exp): ask again.
        auth.getIdToken().then(answer => void (answer === token && (asked = false)), () => {});
      }
      if (token) return (await backendModuleServes(source)) ? token : usableIdToken(token, source);
      if (await backendModuleServes(source)) return '';
      throw errors.signInOrAddBackendModule(source);
    },
  };
}
