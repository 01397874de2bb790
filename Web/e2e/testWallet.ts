import type { Hex } from "viem";
import { localKeyProvider } from "../src/devWallet";

// The browser tests' EIP-1193 wallet (Tests/Aml.Orleans.Web.Tests), built into dist-e2e/test-wallet.js and injected
// with page.addInitScript before the app loads: the dev wallet's provider under window.ethereum, where a browser wallet
// sits, so the app takes its ordinary path (wagmi's injected connector). The test sets the key and chain first.
declare global {
  interface Window {
    __amlTestWallet: { key: Hex; rpcUrl: string; chainId: number };
    ethereum?: unknown;
  }
}

const { key, rpcUrl, chainId } = window.__amlTestWallet;
window.ethereum = localKeyProvider(key, rpcUrl, chainId);
