/**
 * Types for the tests that run inside workerd: the `cloudflare:test` module of
 * @cloudflare/vitest-plugin, and the bindings of wrangler.toml plus the test secrets
 * set in vitest.config.ts.
 */
/// <reference types="@cloudflare/vitest-plugin/types" />

declare namespace Cloudflare {
  interface Env {
    MASTER: DurableObjectNamespace<import("../../master-worker/src/shell/cluster-master.ts").ClusterMaster>;
    SERVICES: DurableObjectNamespace<import("../../master-worker/src/shell/services-framework.ts").ServicesFramework>;
    STRATA_JOIN_TOKEN: string;
    STRATA_CREDENTIALS: string;
    STRATA_OPERATORS: string;
  }
}
