import { hashTypedData, type Address, type Hex, type TypedDataDomain } from "viem";
import type { Decision } from "./gen/aml/v1/common_pb";

// The contract's EIP-712 types (Ethereum/RiskDecision.cs TypeString, Contracts.Solidity DecisionHash.sol): the trader
// signs a RiskDecision as typed data, so the wallet shows what it signs; the oracle's quorum signs one decision or a
// DecisionList batch. The app recomputes both to check the gateway's digest and the chain's signatures itself.
const riskDecision = [
  { name: "kind", type: "uint8" },
  { name: "positionId", type: "bytes32" },
  { name: "marketId", type: "bytes32" },
  { name: "trader", type: "address" },
  { name: "isLong", type: "bool" },
  { name: "collateral", type: "uint128" },
  { name: "size", type: "uint128" },
  { name: "maxLeverageX100", type: "uint32" },
  { name: "maintenanceMarginBps", type: "uint32" },
  { name: "closeFactorBps", type: "uint32" },
  { name: "riskScoreBps", type: "uint16" },
  { name: "markPriceE18", type: "uint128" },
  { name: "priceTimestamp", type: "uint64" },
  { name: "positionVersion", type: "uint64" },
  { name: "validUntil", type: "uint64" },
  { name: "modelHash", type: "bytes32" },
  { name: "featuresHash", type: "bytes32" },
] as const;
const types = { RiskDecision: riskDecision } as const;
const listTypes = {
  DecisionList: [
    { name: "batchNonce", type: "uint64" },
    { name: "validUntil", type: "uint64" },
    { name: "decisions", type: "RiskDecision[]" },
  ],
  RiskDecision: riskDecision,
} as const;

/** A decision as the contract holds it (prices in 1e18, the market as its bytes32 id); a type, so viem takes it as a message. */
export type RiskDecisionStruct = {
  kind: number;
  positionId: Hex;
  marketId: Hex;
  trader: Address;
  isLong: boolean;
  collateral: bigint;
  size: bigint;
  maxLeverageX100: number;
  maintenanceMarginBps: number;
  closeFactorBps: number;
  riskScoreBps: number;
  markPriceE18: bigint;
  priceTimestamp: bigint;
  positionVersion: bigint;
  validUntil: bigint;
  modelHash: Hex;
  featuresHash: Hex;
};

/** The MarginManager's EIP-712 domain on one chain. */
export const domainOf = (chainId: bigint, marginManager: string): TypedDataDomain => ({
  name: "MarginManager",
  version: "1",
  chainId,
  verifyingContract: marginManager as Address,
});

/** The gateway's decision (prices in 1e8, the market by asset) as the contract's struct. */
export const toStruct = (d: Decision, marketId: string): RiskDecisionStruct => ({
  kind: d.kind,
  positionId: d.positionId as Hex,
  marketId: marketId as Hex,
  trader: d.trader as Address,
  isLong: d.isLong,
  collateral: BigInt(d.collateral),
  size: BigInt(d.size),
  maxLeverageX100: d.maxLeverageX100,
  maintenanceMarginBps: d.maintenanceMarginBps,
  closeFactorBps: d.closeFactorBps,
  riskScoreBps: d.riskScoreBps,
  markPriceE18: BigInt(d.markPriceE8) * 10_000_000_000n,
  priceTimestamp: d.priceTimestamp,
  positionVersion: d.positionVersion,
  validUntil: d.validUntil,
  modelHash: d.modelHash as Hex,
  featuresHash: d.featuresHash as Hex,
});

/** What the trader's wallet signs for a quoted OPEN. */
export function decisionTypedData(d: Decision, chainId: bigint, marginManager: string, marketId: string) {
  return { domain: domainOf(chainId, marginManager), types, primaryType: "RiskDecision" as const, message: toStruct(d, marketId) };
}

export const digestOf = (typed: ReturnType<typeof decisionTypedData>) => hashTypedData(typed);

/** The EIP-712 digest of one decision: what the contract's decisionDigest returns. */
export const structDigest = (domain: TypedDataDomain, decision: RiskDecisionStruct) =>
  hashTypedData({ domain, types, primaryType: "RiskDecision", message: decision });

/** The digest a quorum signs for a batch (applyDecisions): the contract's batchDigest. */
export const batchDigest = (domain: TypedDataDomain, batchNonce: bigint, validUntil: bigint, decisions: readonly RiskDecisionStruct[]) =>
  hashTypedData({ domain, types: listTypes, primaryType: "DecisionList", message: { batchNonce, validUntil, decisions } });
