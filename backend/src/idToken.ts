// The frontend module's rule for ID tokens (idTokenProblem in src/idToken.ts),
// repeated here because this package's build cannot take files from outside
// it; src/idToken.test.ts runs both on the same tokens and expects the same
// verdicts. The margin is this backend's: small, by its own clock, since the
// browser renews long before.

/** Why a Kubernetes API server would refuse the token. */
export type IdTokenProblem =
  /** Signed with a shared secret (`HS*`) or not at all (`none`): never verified. */
  | { alg: string }
  /** Expired, or about to. */
  | { expiresAt: Date }
  /** No ID token at all. */
  | { malformed: 'not a JWS' | 'no alg' | 'exp is not a number' };

const EXPIRY_MARGIN_SECONDS = 10;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function decodeObject(segment: string): Record<string, unknown> | undefined {
  if (!BASE64URL.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(atob(segment.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Why a Kubernetes API server would refuse `token` as an ID token now, or within a few seconds. */
export function idTokenProblem(token: string): IdTokenProblem | undefined {
  const parts = token.split('.');
  const [header, payload] = parts.length === 3 ? parts.slice(0, 2).map(decodeObject) : [];
  if (!header || !payload || !/^[A-Za-z0-9_-]*$/.test(parts[2])) return { malformed: 'not a JWS' };
  const { alg } = header;
  const { exp } = payload;
  if (typeof alg !== 'string' || !alg) return { malformed: 'no alg' };
  if (/^(hs|none$)/i.test(alg)) return { alg };
  if (typeof exp !== 'number') return { malformed: 'exp is not a number' };
  return exp - Date.now() / 1000 < EXPIRY_MARGIN_SECONDS ? { expiresAt: new Date(exp * 1000) } : undefined;
}
