import { createWalletClient, defineChain, http as viemHttp, type EIP1193Provider, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

/** Anvil's well-known account 6 (a demo trader of ./aml run): public, for the local dev chain only. */
export const DEV_KEY: Hex = "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e";

/**
 * An EIP-1193 provider that holds a local key: signs messages, typed data and transactions in the page and sends them
 * to the dev chain's RPC. The same shape as a browser wallet, so the app has one wallet path (wagmi's injected connector).
 */
export function localKeyProvider(key: Hex, rpcUrl: string, chainId: number): EIP1193Provider {
  const account = privateKeyToAccount(key);
  const chain = defineChain({ id: chainId, name: "dev", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } });
  const client = createWalletClient({ account, chain, transport: viemHttp(rpcUrl) });
  const provider = {
    async request({ method, params }: { method: string; params?: unknown[] }) {
      const p = (params ?? []) as any[];
      switch (method) {
        case "eth_requestAccounts":
        case "eth_accounts":
          return [account.address];
        case "eth_chainId":
          return `0x${chainId.toString(16)}`;
        case "personal_sign":
          return account.signMessage({ message: { raw: p[0] as Hex } });
        case "eth_signTypedData_v4":
          return account.signTypedData(JSON.parse(p[1] as string));
        case "eth_sendTransaction":
          return client.sendTransaction({ to: p[0].to, data: p[0].data, value: p[0].value ? BigInt(p[0].value) : undefined });
        case "wallet_switchEthereumChain":
        case "wallet_addEthereumChain":
          return null;
        default:
          return client.request({ method, params } as any);
      }
    },
    on() {},
    removeListener() {},
  };
  return provider as unknown as EIP1193Provider;
}
