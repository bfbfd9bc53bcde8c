/** What the module reads from an ID token, without checking its signature. */
export type IdTokenClaims = {
  /** The signing algorithm from the JWS header, such as `RS256`. */
  alg?: string;
  /** When the token expires, from its `exp` claim. */
  expiresAt?: Date;
  /** When the token was issued, from its `iat` claim. */
  issuedAt?: Date;
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
    const payload = decodeSegment(segments[1]) as { exp?: unknown; iat?: unknown };
    const date = (seconds: unknown) => (typeof seconds === 'number' ? new Date(seconds * 1000) : undefined);
    return {
      alg: typeof header?.alg === 'string' ? header.alg : undefined,
      expiresAt: date(payload?.exp),
      issuedAt: date(payload?.iat),
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

/**
 * Whether the token expires within a margin of `now`: `marginSeconds`, or a
 * `lifetimeShare` of the token's lifetime when that is shorter, so that
 * short-lived tokens are not refused or renewed for their whole life.
 */
export function expiresWithin(
  claims: IdTokenClaims,
  margin: { seconds: number; lifetimeShare: number },
  now = Date.now(),
): boolean {
  if (claims.expiresAt === undefined) return false;
  const lifetimeMs = claims.issuedAt ? claims.expiresAt.getTime() - claims.issuedAt.getTime() : Infinity;
  const marginMs = Math.min(margin.seconds * 1000, Math.max(0, lifetimeMs) * margin.lifetimeShare);
  return claims.expiresAt.getTime() - now < marginMs;
}
