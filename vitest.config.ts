import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "protocol/**/*.test.ts", "sdk/**/*.test.ts", "remote-runner/**/*.test.ts", "webview/**/*.test.ts*", "src/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    // Docker-backed tests share one daemon on a 2-core machine: run files one at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    globalSetup: ["test/global-setup.ts"],
  },
});
