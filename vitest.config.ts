import { defineConfig } from "vitest/config";

// Integration tests start real servers (nats-server, the dev cluster, the hostpath driver): on a
// 2-core machine a couple of forks at a time keeps them from starving each other.
export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", ".snapflow/**"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
