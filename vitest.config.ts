import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig, type Plugin } from "vitest/config";

/**
 * The workers pool inlines dependencies, so Vite reads itty-router's source maps and warns
 * that they point outside the package: harmless noise, dropped here. (Vitest replaces any
 * `customLogger`, so the filter goes on the resolved logger.)
 */
const quietSourcemapWarnings: Plugin = {
  name: "strata:quiet-sourcemap-warnings",
  configResolved({ logger }) {
    const warnOnce = logger.warnOnce.bind(logger);
    logger.warnOnce = (msg, options) => {
      if (!msg.includes("points to a source file outside its package")) warnOnce(msg, options);
    };
  },
};

/** The secrets and settings of the Worker the workerd tests run. */
const WORKERD_BINDINGS = {
  STRATA_JOIN_TOKEN: "test-join-token",
  STRATA_CREDENTIALS: "alice:alice-secret,ops:ops-secret",
  STRATA_OPERATORS: "ops",
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["test/**/*.test.ts"],
          exclude: ["test/workerd/**", "**/node_modules/**"],
          environment: "node",
          testTimeout: 20_000,
          hookTimeout: 60_000,
          // End-to-end tests start real master and agent processes: on two cores, one file at a time.
          fileParallelism: false,
        },
      },
      {
        // A few tests run inside workerd: the Durable Object's real SQLite storage and the
        // Worker's HTTP surface. The Worker comes from wrangler.toml; the secrets it needs
        // (kept out of it) are set here and override any local .dev.vars. `alice` is a
        // framework's principal, `ops` the operator (STRATA_OPERATORS; README "Secure defaults").
        plugins: [quietSourcemapWarnings, cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, miniflare: { bindings: WORKERD_BINDINGS } })],
        test: {
          name: "workerd",
          include: ["test/workerd/**/*.test.ts"],
          exclude: ["test/workerd/permissive/**", "**/node_modules/**"],
          testTimeout: 20_000,
        },
      },
      {
        // The same Worker in Mesos' permissive mode (STRATA_AUTHORIZATION=permissive).
        plugins: [
          quietSourcemapWarnings,
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ...WORKERD_BINDINGS, STRATA_AUTHORIZATION: "permissive" } },
          }),
        ],
        test: {
          name: "workerd-permissive",
          include: ["test/workerd/permissive/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
    ],
  },
});
