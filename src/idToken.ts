/** What the module reads from an ID token, without checking its signature. */
export type IdTokenClaims = {
  /** The signing algorithm from the JWS header, such as `RS256`. */
  alg?: string;
  /** When the token expires, from its `exp` claim. */
  expiresAt?: Date;
};

function decodeSegment(segment: string): unknown {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '='));
  const bytes = Uint8Array.from(binary, c => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/**
 * Reads the algorithm and expiry of a JWT. Returns `undefined` for anything
 * that is not a readable JWT; the signature stays the cluster's to check.
 */
export function readIdToken(token: string): IdTokenClaims | undefined {
  const segments = token.split('.');
  if (segments.length !== 3) return undefined;
  try {
    const header = decodeSegment(segments[0]) as { alg?: unknown };
    const payload = decodeSegment(segments[1]) as { exp?: unknown };
    return {
      alg: typeof header?.alg === 'string' ? header.alg : undefined,
      expiresAt: typeof payload?.exp === 'number' ? new Date(payload.exp * 1000) : undefined,
    };
  } catch {
    return undefined;
  }
}

/**
 * Whether a Kubernetes API server could accept the token as an ID token:
 * it verifies only asymmetric signatures (RS, ES, PS), never HMAC or `none`.
 */
export function isSymmetricOrUnsigned(claims: IdTokenClaims): boolean {
  return claims.alg !== undefined && (/^HS/i.test(claims.alg) || claims.alg.toLowerCase() === 'none');
}

/** Whether the token expires within `marginSeconds` of `now`. */
export function expiresWithin(claims: IdTokenClaims, marginSeconds: number, now = Date.now()): boolean {
  return claims.expiresAt !== undefined && claims.expiresAt.getTime() - now < marginSeconds * 1000;
}
