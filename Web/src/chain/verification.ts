import type { DecisionDetail, Verdict } from "../gen/aml/v1/positions_pb";
import type { ChainInfo } from "../gen/aml/v1/markets_pb";
import { domainOf, toStruct } from "../typedData";
import { browserChecks, verifyInBrowser, type BrowserVerdict, type ChainReader } from "./verifyDecision";

/** A decision's verification: what the browser checked against the chain itself, and what only the stores can check. */
export interface Verification {
  digest: string;
  browser: BrowserVerdict[];
  gateway: Verdict[];   // the gateway's verdicts on what the browser cannot recompute (features, model, recompute, registry)
  command: string;      // the CLI line that re-checks everything from the stores
}

// The gateway's checks the browser repeats itself, so their verdicts are not shown twice.
const repeatedInBrowser = new Set<string>([...browserChecks]);

/** Verifies the gateway's account of a decision against the chain the browser reads, and keeps the gateway's other verdicts. */
export async function verification(detail: DecisionDetail, chain: ChainInfo, reader: ChainReader): Promise<Verification> {
  const { decision, record } = detail;
  if (!decision || !record) throw new Error("the gateway returned no decision to verify");
  const marketId = chain.marketIds[decision.asset];
  if (!marketId) throw new Error(`the gateway names no on-chain market id for ${decision.asset}`);
  const browser = await verifyInBrowser(
    {
      decision: toStruct(decision, marketId),
      digest: record.digest as `0x${string}`,
      transactionHash: (record.transactionHash || undefined) as `0x${string}` | undefined,
      shownSigners: record.signers,
      domain: domainOf(chain.chainId, chain.marginManager),
    },
    reader,
  );
  return { digest: record.digest, browser, gateway: detail.verdicts.filter((v) => !repeatedInBrowser.has(v.check)), command: `aml verify ${record.digest}` };
}
