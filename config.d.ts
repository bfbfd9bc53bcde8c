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
         * Palette, for example `spectrocloud-eu`: not `spectrocloud`, which
         * serves `tokenProviderName`, and not another environment's.
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
      /**
       * URLs of clusters from the catalog that may get SpectroCloud tokens,
       * read by the Kubernetes backend module. Anyone who may register a
       * `kubernetes-cluster` Resource in the catalog chooses its URL, so a
       * catalog cluster with a SpectroCloud `oidcTokenProvider` gets no token
       * unless a pattern here matches its `kubernetes.io/api-server` URL,
       * whole and as written; `*` stands for any run of characters other
       * than `/`, e.g. `https://*.palette.example.com:6443`. Clusters of the
       * config locator and of cluster suppliers need no entry. None by
       * default.
       *
       * @visibility backend
       */
      allowedCatalogClusterUrls?: string[];
    };
  };
}
