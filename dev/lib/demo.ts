// The names the development environment is built from: its demo users, the
// OAuth client Backstage signs in with, the example component and the ports.
// npm start, the stand-ins and their tests, the browser tests and the
// adoption test all read them from here.

export const CLIENT_ID = 'backstage-dev';

/** The catalog component (dev/catalog.yaml) whose Kubernetes tab is shown. */
export const COMPONENT = 'demo-service';

/** The group that may read the OIDC cluster. */
export const READER_GROUP = 'platform-readers';

export const DEFAULT_APP_PORT = 3000;
export const DEFAULT_BACKEND_PORT = 7007;

export interface DemoUser {
  /** Becomes the ID token's `sub`. */
  id: string;
  email: string;
  name: string;
  groups: string[];
  /** Defaults to true; false exercises kube's `email_verified` rule. */
  emailVerified?: boolean;
}

export const ALICE: DemoUser = { id: 'alice', email: 'alice@example.com', name: 'Alice', groups: [READER_GROUP] };
export const BOB: DemoUser = { id: 'bob', email: 'bob@example.com', name: 'Bob', groups: ['contractors'] };
export const DEMO_USERS: DemoUser[] = [ALICE, BOB];

/** Where the backend auth provider `providerId` receives the issuer's answer. */
export function spectroCloudRedirectUri(backendUrl: string, providerId = 'spectrocloud'): string {
  return `${backendUrl}/api/auth/${providerId}/handler/frame`;
}

/**
 * The second Palette of the two-environment stack (SPECTROCLOUD_ENVIRONMENTS=2):
 * its clusters' token-provider name, its backend auth provider and its title.
 */
export const SECOND_ENVIRONMENT = { tokenProviderName: 'palette-eu', authProvider: 'spectrocloud-eu', title: 'SpectroCloud EU' };
/** Its cluster, which trusts only its issuer. */
export const SECOND_ENVIRONMENT_CLUSTER = 'palette-eu-dev';

/**
 * The cluster a catalog `Resource` declares (stack option `catalogCluster`):
 * a SpectroCloud OIDC cluster whose address anyone who edits the catalog sets.
 */
export const CATALOG_CLUSTER = 'palette-catalog';

/**
 * A SpectroCloud OIDC cluster whose Palette Kubernetes layer's OIDC identity
 * provider is "Inherit from Tenant": its API server trusts the tenant's own
 * IdP (TENANT_IDP_TRUST), so it answers every Palette token with 401.
 */
export const TENANT_IDP_CLUSTER = 'palette-tenant-idp';
/**
 * Its --oidc-issuer-url and --oidc-client-id. Nothing runs there: kube refuses
 * a token of another issuer before any discovery.
 */
export const TENANT_IDP_TRUST = { issuerUrl: 'https://idp.tenant.example/oauth2/default', clientId: 'kubernetes' };
