export interface Config {
  kubernetes?: {
    /**
     * Settings of the SpectroCloud auth module for the Kubernetes plugin.
     */
    spectroCloudAuth?: {
      /**
       * The OIDC token-provider name SpectroCloud clusters use: their
       * `oidcTokenProvider` in the config locator, or `oidcAuthProviderName`
       * in the SpectroCloud cluster provider. Must be an HTTP header token
       * without capital letters (the Kubernetes backend lowercases it for pod
       * logs) and not one of the Kubernetes plugin's own providers (gitlab,
       * google, microsoft, okta, onelogin). Defaults to `spectrocloud`.
       *
       * @visibility frontend
       * @pattern ^(?!(gitlab|google|microsoft|okta|onelogin)$)[!#$%&'*+.^_`|~0-9a-z-]+$
       */
      tokenProviderName?: string;
      /**
       * More Palette instances, each with clusters of its own token-provider
       * name and a backend auth provider of its own; `tokenProviderName`
       * above stays served by `auth.spectrocloud`.
       *
       * @visibility frontend
       */
      environments?: Array<{
        /**
         * The `oidcTokenProvider` of this Palette's clusters; the same rule as
         * `tokenProviderName`, and different from it and from every other
         * environment's.
         *
         * @visibility frontend
         * @pattern ^(?!(gitlab|google|microsoft|okta|onelogin)$)[!#$%&'*+.^_`|~0-9a-z-]+$
         */
        tokenProviderName: string;
        /**
         * The id of the backend auth provider that signs users in to this
         * Palette, for example `spectrocloud-eu`.
         *
         * @visibility frontend
         */
        authProvider: string;
        /**
         * This Palette as users know it, shown when asking them to sign in;
         * defaults to `authProvider`.
         *
         * @visibility frontend
         */
        title?: string;
      }>;
    };
  };
}
