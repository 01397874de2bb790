import { defineConfig } from "vite";

// The browser tests' injected wallet (e2e/testWallet.ts) as one classic script: page.addInitScript takes no modules.
export default defineConfig({
  build: {
    outDir: "dist-e2e",
    emptyOutDir: true,
    lib: { entry: "e2e/testWallet.ts", formats: ["iife"], name: "amlTestWallet", fileName: () => "test-wallet.js" },
  },
});
