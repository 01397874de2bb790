import { createConfig, http, type Config, type Connector } from "wagmi";
import { injected } from "wagmi/connectors";
import { connect, getAccount, sendTransaction, signMessage, signTypedData, waitForTransactionReceipt, disconnect } from "wagmi/actions";
import { createPublicClient, custom, defineChain, type Address, type EIP1193Provider, type Hex, type PublicClient } from "viem";
import { marginManagerAbi } from "./chain/marginManagerAbi";
import type { ChainReader } from "./chain/verifyDecision";
import { DEV_KEY, localKeyProvider } from "./devWallet";
import type { ChainInfo } from "./gen/aml/v1/markets_pb";

/** The wallet, in one place: wagmi's injected connector, plus the dev wallet when the gateway reports a dev chain. */
export class Wallet {
  readonly config: Config;
  readonly chainId: number;

  constructor(readonly chain: ChainInfo) {
    this.chainId = Number(chain.chainId);
    const viemChain = defineChain({
      id: this.chainId,
      name: chain.devChain ? "Local dev chain" : "MegaETH",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: chain.rpcUrl ? [chain.rpcUrl] : [] } },
    });
    const connectors = [injected()];
    if (chain.devChain && chain.rpcUrl) {
      const provider = localKeyProvider(DEV_KEY, chain.rpcUrl, this.chainId);
      connectors.push(injected({ target: { id: "aml-dev", name: "Dev wallet (anvil account 6)", provider } }));
    }

    this.config = createConfig({ chains: [viemChain], connectors, transports: { [this.chainId]: http(chain.rpcUrl || undefined) } });
  }

  connectors(): readonly Connector[] {
    return this.config.connectors;
  }

  async connect(connector: Connector): Promise<Address> {
    const result = await connect(this.config, { connector, chainId: this.chainId });
    return result.accounts[0];
  }

  disconnect = () => disconnect(this.config);

  signMessage = (message: string) => signMessage(this.config, { message });

  signTypedData = (typed: Parameters<typeof signTypedData>[1]) => signTypedData(this.config, typed);

  /**
   * The chain as the browser reads it to verify a decision: the dev chain's RPC when the gateway gives one out, else
   * the connected wallet's own provider, so no answer about the chain comes from the gateway being checked.
   */
  async reader(): Promise<ChainReader> {
    const provider = this.chain.rpcUrl ? undefined : ((await getAccount(this.config).connector?.getProvider()) as EIP1193Provider | undefined);
    if (!this.chain.rpcUrl && !provider) throw new Error("connect a wallet to read the chain");
    const client: PublicClient = createPublicClient({ transport: provider ? custom(provider) : http(this.chain.rpcUrl) });
    const manager = this.chain.marginManager as Address;
    return {
      transaction: async (hash) => {
        const tx = await client.getTransaction({ hash });
        return { to: tx.to, input: tx.input };
      },
      receipt: (hash) => client.getTransactionReceipt({ hash }),
      signerSet: async (blockNumber) => {
        const [signers, threshold] = await Promise.all([
          client.readContract({ address: manager, abi: marginManagerAbi, functionName: "signers", blockNumber }),
          client.readContract({ address: manager, abi: marginManagerAbi, functionName: "threshold", blockNumber }),
        ]);
        return { signers, threshold };
      },
    };
  }

  /** Sends a call the gateway prepared (a top-up, a close) and waits for it to be mined. */
  async send(call: { to: string; data: string }) {
    const hash = await sendTransaction(this.config, { to: call.to as Address, data: call.data as Hex });
    const receipt = await waitForTransactionReceipt(this.config, { hash });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return hash;
  }
}
