// Error texts from auth clients are shown in the Kubernetes tab and may be
// logged, so credentials are cut out of them first. Each pattern keeps the
// label that introduces a credential and replaces only the credential.
const REDACTIONS: Array<[RegExp, string]> = [
  // JWE (five parts) before JWS (three parts), so a JWE goes whole. Both
  // start with a base64url JSON header, `eyJ` ('{"'), which host names and
  // dotted class names do not.
  [/\beyJ[\w-]*\.[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+/g, '[redacted]'],
  [/\beyJ[\w-]*\.[\w-]+\.[\w-]*/g, '[redacted]'],
  // HTTP credentials, in any case: `Bearer x`, `bearer x`, `Basic x`.
  [/\b(bearer|basic)(\s+)[\w~+/.=-]+/gi, '$1$2[redacted]'],
  // OAuth parameters in URLs and form bodies, and the token fields of JSON.
  [/\b(access_token|id_token|refresh_token|code)=[^\s&"',;]+/g, '$1=[redacted]'],
  [/("(?:access_token|id_token|refresh_token)"\s*:\s*")[^"]*"/g, '$1[redacted]"'],
];

/**
 * Replaces credentials in a message with `[redacted]`: JWTs and JWEs whole,
 * `Bearer`/`Basic` credentials, and the values of `access_token`, `id_token`,
 * `refresh_token` and `code`.
 */
export function redactTokens(text: string): string {
  return REDACTIONS.reduce(
    (redacted, [pattern, replacement]) => redacted.replace(pattern, replacement),
    text,
  );
}
