// Where the bearer token is checked. Like kube-apiserver's union of
// authenticators: the static service-account token first, then the OIDC
// authenticator of the --oidc-issuer-url and --oidc-client-id flags with
// --oidc-username-claim=email and --oidc-groups-claim=groups, as the README
// tells cluster admins to configure it.
import { createHash, timingSafeEqual } from 'node:crypto';

import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';

export interface UserInfo {
  user: string;
  groups: string[];
}

/** Who the token says the caller is, or why it was rejected. */
export type Authentication = UserInfo | { error: string };

/** The issuer a cluster trusts, as its --oidc-issuer-url and --oidc-client-id. */
export interface OidcTrust {
  issuerUrl: string;
  clientId: string;
}

export const SERVICE_ACCOUNT_USER = 'system:serviceaccount:default:backstage';
// The groups kube puts a service account in.
const SERVICE_ACCOUNT_GROUPS = ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'];
// kube's OIDC verifier (go-oidc) applies no leeway to `exp`.
const CLOCK_TOLERANCE_SECONDS = 0;

export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

export function createAuthenticator({ oidc, serviceAccountToken }: { oidc?: OidcTrust; serviceAccountToken?: string }): (token: string | undefined) => Promise<Authentication> {
  const verifyIdToken = oidc ? createOidcAuthenticator(oidc) : undefined;
  return async token => {
    if (!token) return { error: 'no bearer token' };
    if (serviceAccountToken && constantTimeEquals(token, serviceAccountToken)) {
      return { user: SERVICE_ACCOUNT_USER, groups: SERVICE_ACCOUNT_GROUPS };
    }
    if (!verifyIdToken) return { error: 'token not recognised' };
    try {
      return await verifyIdToken(token);
    } catch (error) {
      // jose's and our messages describe the failed check, never the token.
      return { error: (error as Error).message };
    }
  };
}

/**
 * kube-apiserver's OIDC authenticator: discovery and JWKS from the issuer,
 * RS256 signature, exact `iss`, `aud` containing the client id, unexpired,
 * the user from `email` (with the email_verified rule), groups from `groups`.
 */
function createOidcAuthenticator({ issuerUrl, clientId }: OidcTrust) {
  let keySet: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  // Discovery happens on first use and is retried after a failure, so the
  // stand-in can start before the issuer does (kube retries in the background).
  function jwks() {
    keySet ??= discoverKeySet(issuerUrl).catch(error => {
      keySet = undefined;
      throw error;
    });
    return keySet;
  }

  return async (token: string): Promise<UserInfo> => {
    // kube only hands a token to the authenticator whose issuer it names.
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw new Error('not a JWT');
    }
    if (unverified.iss !== issuerUrl) throw new Error('token issued by an untrusted issuer');

    const { payload } = await jwtVerify(token, await jwks(), {
      algorithms: ['RS256'],
      issuer: issuerUrl,
      audience: clientId,
      requiredClaims: ['exp'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });

    const { email } = payload;
    if (typeof email !== 'string' || email === '') throw new Error('claim "email" missing or not a string');
    // kube: if email_verified is present it must be true (absence is accepted).
    if ('email_verified' in payload && payload.email_verified !== true) throw new Error('email not verified');
    return { user: email, groups: [...groupsFrom(payload.groups), 'system:authenticated'] };
  };
}

async function discoverKeySet(issuerUrl: string) {
  const response = await fetch(`${issuerUrl.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`issuer discovery failed with HTTP ${response.status}`);
  const discovery = (await response.json()) as { issuer?: string; jwks_uri: string };
  if (discovery.issuer !== issuerUrl) {
    throw new Error(`issuer discovery names "${discovery.issuer}", expected "${issuerUrl}"`);
  }
  return createRemoteJWKSet(new URL(discovery.jwks_uri));
}

/** kube accepts the groups claim as a string or an array of strings. */
function groupsFrom(claim: unknown): string[] {
  if (claim === undefined) return [];
  if (typeof claim === 'string') return [claim];
  if (Array.isArray(claim) && claim.every(group => typeof group === 'string')) return claim;
  throw new Error('groups claim is neither a string nor an array of strings');
}

function constantTimeEquals(a: string, b: string) {
  // Hash first so lengths match and the comparison leaks nothing.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}
