import { describe, expect, it } from "vitest";
import {
  encodeAbiParameters, encodeEventTopics, encodeFunctionData, serializeCompactSignature, serializeSignature as serializeSignatureOf,
  signatureToCompactSignature,
  type Address, type Hex, type Log,
} from "viem";
import { privateKeyToAddress, sign } from "viem/accounts";
import { marginManagerAbi } from "./marginManagerAbi";
import { browserChecks, verifyInBrowser, type ChainReader, type DecisionClaim } from "./verifyDecision";
import { batchDigest, domainOf, structDigest, type RiskDecisionStruct } from "../typedData";

// The well-known anvil dev keys 1..5 as the oracle's 3-of-5 signer set, key 9 as an impostor. The transactions, events
// and signatures below are encoded and signed for real; only the chain's answers are held in memory.
const keys: Hex[] = [
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
];
const impostor: Hex = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6";
const signerSet = keys.map((k) => privateKeyToAddress(k));
const manager: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const domain = domainOf(6343n, manager);
const txHash: Hex = `0x${"ab".repeat(32)}`;

const decision = (over: Partial<RiskDecisionStruct> = {}): RiskDecisionStruct => ({
  kind: 3, positionId: `0x${"11".repeat(32)}`, marketId: `0x${"22".repeat(32)}`, trader: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  isLong: true, collateral: 1_000_000_000n, size: 10_000_000_000n, maxLeverageX100: 1000, maintenanceMarginBps: 500, closeFactorBps: 10_000,
  riskScoreBps: 8123, markPriceE18: 2_760_000_000_000_000_000_000n, priceTimestamp: 1_763_900_000n, positionVersion: 4n, validUntil: 1_763_900_600n,
  modelHash: `0x${"33".repeat(32)}`, featuresHash: `0x${"44".repeat(32)}`, ...over,
});

async function quorum(digest: Hex, signWith: Hex[] = [keys[0], keys[2], keys[4]], bitmap = 0b10101n) {
  const parts = await Promise.all(signWith.map(async (k) => serializeCompactSignature(signatureToCompactSignature(await sign({ hash: digest, privateKey: k })))));
  return { signerBitmap: bitmap, signatures: `0x${parts.map((p) => p.slice(2)).join("")}` as Hex };
}

function liquidatedLog(digest: Hex, positionId: Hex): Log {
  const topics = encodeEventTopics({ abi: marginManagerAbi, eventName: "PositionLiquidated", args: { positionId } });
  const data = encodeAbiParameters([{ type: "bytes32" }, { type: "uint128" }, { type: "int256" }, { type: "uint128" }, { type: "uint128" }], [digest, 10_000_000_000n, -900_000_000n, 50_000_000n, 0n]);
  return { address: manager, topics: topics as [Hex, ...Hex[]], data, blockNumber: 27n, blockHash: null, logIndex: 0, transactionHash: txHash, transactionIndex: 0, removed: false };
}

function skippedLog(digest: Hex, positionId: Hex): Log {
  const topics = encodeEventTopics({ abi: marginManagerAbi, eventName: "DecisionSkipped", args: { positionId } });
  const data = encodeAbiParameters([{ type: "uint8" }, { type: "bytes32" }], [2, digest]);
  return { ...liquidatedLog(digest, positionId), topics: topics as [Hex, ...Hex[]], data };
}

const chainOf = (input: Hex, logs: Log[], set = { signers: signerSet, threshold: 3 }): ChainReader => ({
  transaction: async () => ({ to: manager, input }),
  receipt: async () => ({ status: "success", blockNumber: 27n, logs }),
  signerSet: async (block) => (block === 27n ? set : { signers: [], threshold: 0 }),
});

async function applied(d = decision(), signWith?: Hex[]) {
  const digest = structDigest(domain, d);
  const input = encodeFunctionData({ abi: marginManagerAbi, functionName: "applyDecision", args: [d, await quorum(digest, signWith)] });
  const claim: DecisionClaim = { decision: d, digest, transactionHash: txHash, shownSigners: [signerSet[0], signerSet[2], signerSet[4]], domain };
  return { claim, input, logs: [liquidatedLog(digest, d.positionId)] };
}

const failed = (verdicts: { check: string; passed: boolean }[]) => verdicts.filter((v) => !v.passed).map((v) => v.check);

describe("verifying a decision in the browser", () => {
  it("passes every check for a decision its transaction carried, signed by 3 of the 5 signers at its block", async () => {
    const { claim, input, logs } = await applied();
    const verdicts = await verifyInBrowser(claim, chainOf(input, logs));
    expect(verdicts.map((v) => v.check)).toEqual([...browserChecks]);
    expect(failed(verdicts)).toEqual([]);
    expect(verdicts.find((v) => v.check === "event")!.detail).toContain("PositionLiquidated");
  });

  it("checks a batched decision's signatures over the batch's DecisionList digest", async () => {
    const ours = decision();
    const other = decision({ positionId: `0x${"55".repeat(32)}` });
    const signed = batchDigest(domain, 9n, 1_763_900_600n, [other, ours]);
    const input = encodeFunctionData({ abi: marginManagerAbi, functionName: "applyDecisions", args: [9n, 1_763_900_600n, [other, ours], await quorum(signed)] });
    const digest = structDigest(domain, ours);
    const claim: DecisionClaim = { decision: ours, digest, transactionHash: txHash, shownSigners: [signerSet[0], signerSet[2], signerSet[4]], domain };
    const verdicts = await verifyInBrowser(claim, chainOf(input, [liquidatedLog(digest, ours.positionId)]));
    expect(failed(verdicts)).toEqual([]);
    expect(verdicts.find((v) => v.check === "signatures")!.detail).toContain(signed);
  });

  it("fails the digest and the transaction when a field of the decision shown was changed", async () => {
    const { claim, input, logs } = await applied();
    const verdicts = await verifyInBrowser({ ...claim, decision: { ...claim.decision, maintenanceMarginBps: 900 } }, chainOf(input, logs));
    expect(failed(verdicts)).toEqual(["digest", "transaction", "signatures", "signer set"]);
    expect(verdicts[1].detail).toContain("carries another decision");
  });

  it("fails the digest and the event when the digest named is not the decision's", async () => {
    const { claim, input, logs } = await applied();
    const verdicts = await verifyInBrowser({ ...claim, digest: `0x${"99".repeat(32)}` }, chainOf(input, logs));
    expect(failed(verdicts)).toEqual(["digest", "event"]);
  });

  it("names the bit whose signature an impostor's key made", async () => {
    const { claim, input, logs } = await applied(decision(), [keys[0], impostor, keys[4]]);
    const verdicts = await verifyInBrowser(claim, chainOf(input, logs));
    expect(failed(verdicts)).toEqual(["signatures", "signer set"]);
    expect(verdicts.find((v) => v.check === "signer set")!.detail).toContain(`signature 1 recovers to ${privateKeyToAddress(impostor)}, signer 2`);
  });

  it("fails the signers against another signer set at the transaction's block", async () => {
    const { claim, input, logs } = await applied();
    const rotated = { signers: [privateKeyToAddress(impostor), ...signerSet.slice(1)], threshold: 3 };
    expect(failed(await verifyInBrowser(claim, chainOf(input, logs, rotated)))).toEqual(["signatures", "signer set"]);
  });

  it("fails the signatures when the history shows other signers than the ones that signed", async () => {
    const { claim, input, logs } = await applied();
    const verdicts = await verifyInBrowser({ ...claim, shownSigners: signerSet.slice(0, 3) }, chainOf(input, logs));
    expect(failed(verdicts)).toEqual(["signatures"]);
    expect(verdicts.find((v) => v.check === "signatures")!.detail).toContain("the history shows");
  });

  it("fails the event when the contract skipped the decision", async () => {
    const { claim, input } = await applied();
    const verdicts = await verifyInBrowser(claim, chainOf(input, [skippedLog(claim.digest, claim.decision.positionId)]));
    expect(failed(verdicts)).toEqual(["event"]);
    expect(verdicts.find((v) => v.check === "event")!.detail).toContain("DecisionSkipped, reason 2");
  });

  it("fails everything after the digest when no transaction carried the decision yet", async () => {
    const { claim, input, logs } = await applied();
    expect(failed(await verifyInBrowser({ ...claim, transactionHash: undefined }, chainOf(input, logs)))).toEqual(browserChecks.slice(1));
  });
});

describe("verifying a relayed OPEN in the browser", () => {
  const trader: Hex = "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"; // anvil key 6, the dev wallet

  async function opened(signTraderWith: Hex) {
    const d = decision({ kind: 1, trader: privateKeyToAddress(trader) });
    const digest = structDigest(domain, d);
    const traderSig = serializeSignatureOf(await sign({ hash: digest, privateKey: signTraderWith }));
    const input = encodeFunctionData({ abi: marginManagerAbi, functionName: "openPositionFor", args: [d, await quorum(digest), traderSig] });
    const claim: DecisionClaim = { decision: d, digest, transactionHash: txHash, shownSigners: [signerSet[0], signerSet[2], signerSet[4]], domain };
    return verifyInBrowser(claim, chainOf(input, [liquidatedLog(digest, d.positionId)]));
  }

  it("checks the trader's own signature over the decision", async () => {
    expect(failed(await opened(trader))).toEqual([]);
  });

  it("fails the signatures when another key signed for the trader", async () => {
    const verdicts = await opened(impostor);
    expect(failed(verdicts)).toEqual(["signatures"]);
    expect(verdicts.find((v) => v.check === "signatures")!.detail).toContain(`the trader's signature recovers to ${privateKeyToAddress(impostor)}`);
  });
});
