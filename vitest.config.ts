import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // End-to-end tests start real processes on fixed port ranges: keep files sequential.
    fileParallelism: false,
  },
});
