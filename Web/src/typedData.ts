import { hashTypedData, type Address, type Hex } from "viem";
import type { Decision } from "./gen/aml/v1/common_pb";

// The contract's EIP-712 RiskDecision (Ethereum/RiskDecision.cs TypeString): the trader signs it as typed data, so
// the wallet shows what it signs, and the app checks that the gateway's digest is this very decision before asking.
const types = {
  RiskDecision: [
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
  ],
} as const;

export function decisionTypedData(d: Decision, chainId: bigint, marginManager: string, marketId: string) {
  return {
    domain: { name: "MarginManager", version: "1", chainId, verifyingContract: marginManager as Address },
    types,
    primaryType: "RiskDecision" as const,
    message: {
      kind: d.kind,
      positionId: d.positionId as Hex,
      marketId: marketId as Hex,
      trader: d.trader as Address,
      isLong: d.isLong,
      collateral: d.collateral,
      size: d.size,
      maxLeverageX100: d.maxLeverageX100,
      maintenanceMarginBps: d.maintenanceMarginBps,
      closeFactorBps: d.closeFactorBps,
      riskScoreBps: d.riskScoreBps,
      markPriceE18: d.markPriceE8 * 10_000_000_000n,
      priceTimestamp: d.priceTimestamp,
      positionVersion: d.positionVersion,
      validUntil: d.validUntil,
      modelHash: d.modelHash as Hex,
      featuresHash: d.featuresHash as Hex,
    },
  };
}

export const digestOf = (typed: ReturnType<typeof decisionTypedData>) => hashTypedData(typed);
