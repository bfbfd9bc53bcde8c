// Where the audit line is written: one JSON line per request, saying who did
// what and how it was answered. A token is named by its fingerprint and its
// unverified header and claims, never by its text.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { appendFile } from 'node:fs/promises';

import { decodeJwt, decodeProtectedHeader } from 'jose';

export interface AuditRecord {
  time: string;
  cluster: string;
  /** null when the request was not authenticated */
  user: string | null;
  groups: string[] | null;
  verb: string;
  /** `pods`, `pods/log`...; null for paths that are not served */
  resource: string | null;
  namespace: string | null;
  name: string | null;
  /** The request path and query, with credential-like values redacted. */
  path: string;
  code: number;
  authError?: string;
  tokenIssuer: string | null;
  tokenAlg: string | null;
  tokenAudience: string | string[] | null;
  /** The token's unverified `exp`, as an ISO time; null without one. */
  tokenExpiresAt: string | null;
  tokenFingerprint: string | null;
}

/** How the audit log names a token without holding it. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

/** What the audit log may say about a token: its fingerprint, unverified header and claims. */
type TokenFacts = Pick<AuditRecord, 'tokenIssuer' | 'tokenAlg' | 'tokenAudience' | 'tokenExpiresAt' | 'tokenFingerprint'>;
export function tokenFacts(token: string | undefined): TokenFacts {
  const facts = { tokenIssuer: null, tokenAlg: null, tokenAudience: null, tokenExpiresAt: null, tokenFingerprint: null };
  if (!token) return facts;
  try {
    const claims = decodeJwt(token);
    return {
      tokenIssuer: claims.iss ?? null,
      tokenAlg: decodeProtectedHeader(token).alg ?? null,
      tokenAudience: claims.aud ?? null,
      tokenExpiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : null,
      tokenFingerprint: tokenFingerprint(token),
    };
  } catch {
    // Not a JWT (garbage, or an opaque service-account token).
    return { ...facts, tokenFingerprint: tokenFingerprint(token) };
  }
}

/** A request path for logs: query values that could carry credentials are dropped. */
export function redactPath(rawUrl = '/'): string {
  const url = new URL(rawUrl, 'http://127.0.0.1');
  for (const [key, value] of [...url.searchParams]) {
    if (/token|auth|secret|password|key|code|jwt|assertion/i.test(key) || /^eyJ/.test(value)) {
      url.searchParams.set(key, '[redacted]');
    }
  }
  return url.pathname + url.search;
}

export async function writeAuditRecord(auditLogPath: string, record: AuditRecord): Promise<void> {
  // Written before the response goes out, so readers see it once they have one.
  await appendFile(auditLogPath, `${JSON.stringify(record)}\n`);
}

/** The audit log's lines, parsed; none while nothing has been written. */
export function readAuditLog(auditLogPath: string): AuditRecord[] {
  if (!fs.existsSync(auditLogPath)) return [];
  return fs
    .readFileSync(auditLogPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(line => JSON.parse(line));
}
