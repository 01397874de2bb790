import { parseAbi } from "viem";

// The part of MarginManager's ABI the browser reads to verify a decision: the calls that carry decisions with their
// quorum, the signer set, and the events that name a decision's digest. marginManagerAbi.test.ts holds each entry
// against the ABI forge compiles (Contracts.Solidity/out), so a contract change that this misses fails a test.
const riskDecision =
  "struct RiskDecision { uint8 kind; bytes32 positionId; bytes32 marketId; address trader; bool isLong; uint128 collateral; " +
  "uint128 size; uint32 maxLeverageX100; uint32 maintenanceMarginBps; uint32 closeFactorBps; uint16 riskScoreBps; " +
  "uint128 markPriceE18; uint64 priceTimestamp; uint64 positionVersion; uint64 validUntil; bytes32 modelHash; bytes32 featuresHash; }";

export const marginManagerAbi = parseAbi([
  riskDecision,
  "struct Quorum { uint256 signerBitmap; bytes signatures; }",
  "function openPosition(RiskDecision d, Quorum q) returns (bytes32)",
  "function openPositionFor(RiskDecision d, Quorum q, bytes traderSig) returns (bytes32)",
  "function closePosition(RiskDecision d, Quorum q)",
  "function applyDecision(RiskDecision d, Quorum q)",
  "function applyDecisions(uint64 batchNonce, uint64 validUntil, RiskDecision[] ds, Quorum q) returns (uint256)",
  "function signers() view returns (address[])",
  "function threshold() view returns (uint8)",
  "event PositionOpened(bytes32 indexed positionId, bytes32 decisionHash, address trader, bytes32 marketId, bool isLong, uint128 collateral, uint128 size, uint128 entryPriceE18)",
  "event RiskUpdated(bytes32 indexed positionId, bytes32 decisionHash, uint32 maxLeverageX100, uint32 maintenanceMarginBps, uint16 riskScoreBps, uint64 marginEffectiveAt)",
  "event PositionLiquidated(bytes32 indexed positionId, bytes32 decisionHash, uint128 sizeClosed, int256 pnl, uint128 penalty, uint128 badDebt)",
  "event PositionClosed(bytes32 indexed positionId, bytes32 decisionHash, int256 pnl, uint128 payout, uint128 badDebt)",
  "event DecisionSkipped(bytes32 indexed positionId, uint8 reason, bytes32 decisionHash)",
]);

/** The names of the calls that carry decisions, as the ABI spells them. */
export type DecisionCall = "openPosition" | "openPositionFor" | "closePosition" | "applyDecision" | "applyDecisions";
