/**
 * A failure of one piece of the tooling (the issuer, the backend, a step of
 * the adoption test...), named so the reader knows where to look.
 */
export class PieceError extends Error {
  constructor(
    readonly piece: string,
    reason: string,
  ) {
    super(`${piece} failed: ${reason}`);
  }
}
