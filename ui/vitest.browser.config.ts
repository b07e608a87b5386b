import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

// The browser tests (browser/*.test.ts): Node runs them, Chromium renders.
export default defineConfig({
  plugins: [svelte()],
  test: { include: ["browser/**/*.test.ts"], testTimeout: 30_000, fileParallelism: false },
});
