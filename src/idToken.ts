/** How close to its `exp` an ID token may come: `seconds`, or a share of its life when that is shorter. */
export type ExpiryMargin = { seconds: number; lifetimeShare: number };

// A token is not sent to a cluster this close to its expiry: the margin
// covers the gap between this browser's clock and the API server's, and the
// request's time. The opt-in auth API renews earlier than that, so a
// renewing backend is asked before a token would be refused.
export const SEND_MARGIN: ExpiryMargin = { seconds: 30, lifetimeShare: 0.25 };
export const RENEW_MARGIN: ExpiryMargin = { seconds: 60, lifetimeShare: 0.5 };

/** Why a Kubernetes API server would refuse the token. */
export type IdTokenProblem = { alg: string } | { expiresAt: Date };

// Only ASCII claims are read, so the bytes need no UTF-8 decoding.
const decode = (segment: string) => JSON.parse(atob(segment.replace(/-/g, '+').replace(/_/g, '/')));

/**
 * Why a Kubernetes API server would refuse `token` as an ID token within
 * `margin` of now: a symmetric (`HS*`) or missing (`none`) signature, which
 * it never verifies, or an `exp` too close. A token that is no readable JWT
 * passes: the signature stays the cluster's to check.
 */
export function idTokenProblem(token: string, margin: ExpiryMargin): IdTokenProblem | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  let alg: unknown;
  let exp: unknown;
  let iat: unknown;
  try {
    ({ alg } = decode(parts[0]));
    ({ exp, iat } = decode(parts[1]));
  } catch {
    return undefined;
  }
  if (typeof alg === 'string' && /^(hs|none$)/i.test(alg)) return { alg };
  if (typeof exp !== 'number') return undefined;
  const lifetime = typeof iat === 'number' ? Math.max(0, exp - iat) : Infinity;
  const marginSeconds = Math.min(margin.seconds, lifetime * margin.lifetimeShare);
  return exp - Date.now() / 1000 < marginSeconds ? { expiresAt: new Date(exp * 1000) } : undefined;
}
