import { defineConfig } from "vitest/config";
import { createLogger, type Plugin } from "vite";
import react from "@vitejs/plugin-react";

// A build warning (an unresolved import, a chunk over the size budget, a bundler note) fails the build: ./aml setup
// builds the app, and a warning nobody reads is a defect shipped.
const logger = createLogger();
const warnings: string[] = [];
const warn = logger.warn;
logger.warn = (message, options) => {
  warnings.push(message);
  warn(message, options);
};
const failOnWarnings: Plugin = {
  name: "aml-fail-on-warnings",
  apply: "build",
  closeBundle() {
    if (warnings.length > 0) throw new Error(`the build warned ${warnings.length} time(s); fix the cause:\n${warnings.join("\n")}`);
  },
};

// `npm run dev` serves on :5173, the one origin the gateway allows besides its own (Aml:Web:DevOrigin).
export default defineConfig({
  plugins: [react(), failOnWarnings],
  customLogger: logger,
  server: { port: 5173, strictPort: true },
  build: {
    // The budget is 400 KiB of JS gzipped; one chunk of ~500 KB raw is ~150 KB gzipped, so 1 MB raw keeps
    // the warning meaningful without firing on today's single chunk.
    chunkSizeWarningLimit: 1024,
    rollupOptions: {
      // ox's Tempo helpers (re-exported by viem/chains, unused here) import it dynamically on a Node-only branch.
      external: ["node:worker_threads"],
      onwarn(warning) {
        warnings.push(warning.message);
      },
    },
  },
  test: { environment: "jsdom", include: ["src/**/*.test.tsx", "src/**/*.test.ts"] },
});
