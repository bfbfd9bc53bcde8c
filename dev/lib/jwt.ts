// Unsigned JWTs shaped like ID tokens, for code that reads a token's claims
// but does not check its signature.
// Plain TypeScript without import.meta, so jest can load it too.

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT of `payload`, with an `alg` header and a signature nobody checks. */
export function unsignedJwt(payload: object, { alg = 'RS256' }: { alg?: string } = {}): string {
  return [base64url({ alg, typ: 'JWT' }), base64url(payload), 'c2lnbmF0dXJl'].join('.');
}

/** A token's `exp` in milliseconds since the epoch. */
export function expiresAtMs(token: string): number {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp * 1000;
}
