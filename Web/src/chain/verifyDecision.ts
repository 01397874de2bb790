import {
  compactSignatureToSignature, decodeFunctionData, parseCompactSignature, parseEventLogs, recoverAddress, sliceHex, size,
  type Address, type Hex, type Log, type TypedDataDomain,
} from "viem";
import { marginManagerAbi } from "./marginManagerAbi";
import { batchDigest, structDigest, type RiskDecisionStruct } from "../typedData";

/** One check's outcome, as the gateway's `Verdict` reads: its name, whether it held, and what was compared. */
export interface BrowserVerdict { check: string; passed: boolean; detail: string }

/** What the browser needs of the chain: the transaction, its receipt, and the signer set at a block. */
export interface ChainReader {
  transaction(hash: Hex): Promise<{ to: Address | null; input: Hex }>;
  receipt(hash: Hex): Promise<{ status: "success" | "reverted"; blockNumber: bigint; logs: readonly Log[] }>;
  signerSet(blockNumber: bigint): Promise<{ signers: readonly Address[]; threshold: number }>;
}

/** The decision to verify, as the gateway reports it, and where the chain holds it. */
export interface DecisionClaim {
  decision: RiskDecisionStruct;
  digest: Hex;                      // the EIP-712 digest the gateway names it by
  transactionHash?: Hex;            // the transaction that carried it
  shownSigners: readonly string[];  // the signers the history shows
  domain: TypedDataDomain;
}

/** The checks the browser runs itself; the rest (features, model, recompute, registry) it links to the gateway's. */
export const browserChecks = ["digest", "transaction", "event", "signatures", "signer set"] as const;

interface Carried { signedDigest: Hex; bitmap: bigint; signatures: Hex; traderSignature?: Hex }
interface Quorum { signerBitmap: bigint; signatures: Hex }

const same = (a: RiskDecisionStruct, b: RiskDecisionStruct) =>
  (Object.keys(a) as (keyof RiskDecisionStruct)[]).every((k) => String(a[k]).toLowerCase() === String(b[k]).toLowerCase());

/** Finds the decision in a MarginManager call's calldata, with the quorum that signed it and the digest it signed. */
export function carriedBy(input: Hex, claim: DecisionClaim): Carried | string {
  let call;
  try {
    call = decodeFunctionData({ abi: marginManagerAbi, data: input });
  } catch {
    return "its calldata is no MarginManager decision call";
  }
  if (call.functionName === "applyDecisions") {
    const [batchNonce, validUntil, decisions, q] = call.args as readonly [bigint, bigint, readonly RiskDecisionStruct[], Quorum];
    if (!decisions.some((d) => same(d, claim.decision))) return `its applyDecisions batch ${batchNonce} does not carry this decision`;
    return { signedDigest: batchDigest(claim.domain, batchNonce, validUntil, decisions), bitmap: q.signerBitmap, signatures: q.signatures };
  }
  if (call.functionName === "signers" || call.functionName === "threshold") return "its calldata is no MarginManager decision call";
  const [d, q, traderSignature] = call.args as readonly [RiskDecisionStruct, Quorum, Hex?];
  if (!same(d, claim.decision)) return `its ${call.functionName} call carries another decision`;
  return { signedDigest: structDigest(claim.domain, d), bitmap: q.signerBitmap, signatures: q.signatures, traderSignature };
}

/** The address each 64-byte EIP-2098 signature recovers to over the signed digest, in bitmap order. */
export async function recoverQuorum(signedDigest: Hex, signatures: Hex): Promise<(Address | undefined)[]> {
  const count = Math.floor(size(signatures) / 64);
  return Promise.all(
    Array.from({ length: count }, async (_, k) => {
      try {
        const compact = parseCompactSignature(sliceHex(signatures, k * 64, (k + 1) * 64));
        return await recoverAddress({ hash: signedDigest, signature: compactSignatureToSignature(compact) });
      } catch {
        return undefined;
      }
    }),
  );
}

const bitsOf = (bitmap: bigint) => [...Array(256).keys()].filter((i) => (bitmap >> BigInt(i)) & 1n);
const eq = (a: string | undefined, b: string | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

/**
 * Verifies a decision against the chain from the browser: the digest recomputed from the decision, the transaction
 * that carried it, the event that names its digest, the quorum's signatures recovered over what they signed, and the
 * signers held against the contract's signer set and threshold at the transaction's block. A check whose inputs an
 * earlier one refused fails saying so.
 */
export async function verifyInBrowser(claim: DecisionClaim, chain: ChainReader): Promise<BrowserVerdict[]> {
  const verdicts: BrowserVerdict[] = [];
  const add = (check: (typeof browserChecks)[number], passed: boolean, detail: string) => verdicts.push({ check, passed, detail });
  const fail = (from: number, detail: string) => browserChecks.slice(from).forEach((c) => add(c, false, detail));

  const digest = structDigest(claim.domain, claim.decision);
  add("digest", eq(digest, claim.digest), eq(digest, claim.digest)
    ? `the decision's EIP-712 digest under MarginManager ${claim.domain.verifyingContract} on chain ${claim.domain.chainId} is ${digest}`
    : `the decision hashes to ${digest}, not ${claim.digest}`);

  if (!claim.transactionHash) return fail(1, "no transaction carried this decision yet"), verdicts;
  const [tx, receipt] = await Promise.all([chain.transaction(claim.transactionHash), chain.receipt(claim.transactionHash)]);
  const carried = eq(tx.to ?? undefined, claim.domain.verifyingContract) ? carriedBy(tx.input, claim) : `it was sent to ${tx.to}, not the MarginManager`;
  const txOk = receipt.status === "success" && typeof carried !== "string";
  add("transaction", txOk, receipt.status !== "success"
    ? `${claim.transactionHash} reverted`
    : typeof carried === "string" ? `${claim.transactionHash}: ${carried}` : `${claim.transactionHash} in block ${receipt.blockNumber} carries the decision`);

  const events = parseEventLogs({ abi: marginManagerAbi, logs: [...receipt.logs], strict: false })
    .filter((l) => eq(l.address, claim.domain.verifyingContract) && "decisionHash" in l.args && eq(l.args.decisionHash as Hex, claim.digest));
  const applied = events.find((l) => l.eventName !== "DecisionSkipped");
  const skipped = events.find((l) => l.eventName === "DecisionSkipped");
  add("event", !!applied, applied
    ? `${applied.eventName} in block ${receipt.blockNumber} carries the digest`
    : skipped ? `the contract skipped it (DecisionSkipped, reason ${(skipped.args as { reason?: number }).reason})` : "no event of the transaction carries the digest");

  if (typeof carried === "string") return fail(3, "no transaction carrying the decision to read the quorum from"), verdicts;
  const recovered = await recoverQuorum(carried.signedDigest, carried.signatures);
  const { signers, threshold } = await chain.signerSet(receipt.blockNumber);
  const strangers = recovered.filter((a) => !signers.some((s) => eq(s, a)));
  // A relayed OPEN (openPositionFor) also carries the trader's own signature over the decision's digest.
  const trader = carried.traderSignature ? await recoverAddress({ hash: claim.digest, signature: carried.traderSignature }).catch(() => undefined) : claim.decision.trader;
  const shownMatch = recovered.length === claim.shownSigners.length && recovered.every((a, k) => eq(a, claim.shownSigners[k]));
  add("signatures", strangers.length === 0 && shownMatch && eq(trader, claim.decision.trader), strangers.length > 0
    ? `${strangers.length} of ${recovered.length} signatures over ${carried.signedDigest} recover to no signer at block ${receipt.blockNumber} (${strangers.map((a) => a ?? "invalid").join(", ")})`
    : !shownMatch ? `the signatures recover to ${recovered.join(", ")}, the history shows ${claim.shownSigners.join(", ") || "none"}`
    : !eq(trader, claim.decision.trader) ? `the trader's signature recovers to ${trader ?? "nothing"}, not ${claim.decision.trader}`
    : `${recovered.length} signatures over ${carried.signedDigest} recover to ${recovered.join(", ")}${carried.traderSignature ? `; the trader's to ${trader}` : ""}`);

  const bits = bitsOf(carried.bitmap);
  const misnamed = bits.map((bit, k) => ({ bit, k })).filter(({ bit, k }) => !eq(signers[bit], recovered[k]));
  add("signer set", bits.length === recovered.length && misnamed.length === 0 && bits.length >= threshold,
    bits.length !== recovered.length ? `the bitmap names ${bits.length} signers for ${recovered.length} signatures`
    : misnamed.length > 0 ? misnamed.map(({ bit, k }) => `signature ${k} recovers to ${recovered[k] ?? "nothing"}, signer ${bit} at block ${receipt.blockNumber} is ${signers[bit] ?? "none"}`).join("; ")
    : bits.length < threshold ? `${bits.length} signers, the threshold at block ${receipt.blockNumber} is ${threshold}`
    : `signers ${bits.join(", ")} of the ${signers.length} at block ${receipt.blockNumber}, threshold ${threshold}`);
  return verdicts;
}
