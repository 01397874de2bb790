// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IMarginManager
/// @notice Isolated-margin positions whose leverage cap, maintenance margin and risk score are set by AI risk
///         decisions, signed as EIP-712 `RiskDecision`s by an M-of-N oracle quorum (../../../shared/design/CONTRACT.md).
/// @dev Units: collateral and size in collateral-token units, prices 1e18 fixed point, ratios in basis points,
///      leverage X100 (1000 = 10.00x). The EIP-712 domain is name "MarginManager", version "1".
interface IMarginManager {
    // ---------------------------------------------------------------------------------------------------------
    // Types
    // ---------------------------------------------------------------------------------------------------------

    /// @notice One AI risk decision; its EIP-712 type string is `RISK_DECISION_TYPE` in DecisionHash.sol.
    /// @dev `kind`: 1 OPEN, 2 ADJUST, 3 LIQUIDATE, 4 CLOSE (see `Kind`). `positionVersion` is the on-chain version the
    ///      decision was made against (0 for OPEN). Field order is the EIP-712 type's, so it cannot be repacked.
    // solhint-disable-next-line gas-struct-packing
    struct RiskDecision {
        uint8 kind;
        bytes32 positionId;
        bytes32 marketId;
        address trader;
        bool isLong;
        uint128 collateral;
        uint128 size;
        uint32 maxLeverageX100;
        uint32 maintenanceMarginBps;
        uint32 closeFactorBps;
        uint16 riskScoreBps;
        uint128 markPriceE18;
        uint64 priceTimestamp;
        uint64 positionVersion;
        uint64 validUntil;
        bytes32 modelHash;
        bytes32 featuresHash;
    }

    /// @notice An M-of-N signature set: bit i of `signerBitmap` stands for `signers()[i]`; `signatures` holds exactly
    ///         `threshold()` 64-byte EIP-2098 signatures (r ‖ vs), one per set bit, in ascending signer-index order.
    struct Quorum {
        uint256 signerBitmap;
        bytes signatures;
    }

    /// @notice Risk bounds of one market, set by the admin.
    struct MarketConfig {
        bool listed;
        uint32 maxLeverageX100;
        uint32 minMaintenanceMarginBps;
        uint32 maxMaintenanceMarginBps;
        uint32 maxMarginStepBps;
        uint32 liquidationPenaltyBps;
        uint64 maxPriceAge;
        uint64 tighteningGrace;
    }

    /// @notice Version 2 limits of one market, beside `MarketConfig`. Zero means "off" in every field, so a market
    ///         without limits behaves as in version 1.
    /// @dev `priceFeed`: a Chainlink-style feed (`latestRoundData`, `decimals`) every signed price is checked against:
    ///      refused when further than `maxFeedDeviationBps` from the feed's answer, or when the feed's answer is older
    ///      than `maxFeedAge` seconds (0: any age) or not positive. `maxDecisionTtl`: the most seconds a decision may
    ///      live after its price (`validUntil − priceTimestamp`). `maxOpenInterestLong`/`Short`: caps on the summed
    ///      size of open positions per side. `borrowRateBpsPerDay`: the borrow fee, accrued per second on notional.
    ///      `oracleLivenessTimeout`: after that many seconds without an applied decision in the market (or of halt),
    ///      traders may `emergencyClose` at the feed's price.
    struct MarketLimits {
        address priceFeed;
        uint32 maxFeedDeviationBps;
        uint64 maxFeedAge;
        uint64 maxDecisionTtl;
        uint128 maxOpenInterestLong;
        uint128 maxOpenInterestShort;
        uint32 borrowRateBpsPerDay;
        uint64 oracleLivenessTimeout;
    }

    /// @notice A position as `getPosition` returns it; `maintenanceMarginBps` is the one in force now (a tighter
    ///         margin still inside its grace period is reported by `pendingMargin`).
    struct Position {
        address trader;
        bytes32 marketId;
        bool isLong;
        uint128 collateral;
        uint128 size;
        uint128 entryPriceE18;
        uint32 maxLeverageX100;
        uint32 maintenanceMarginBps;
        uint16 riskScoreBps;
        uint64 version;
        uint8 status;
        bool frozen;
    }

    /// @notice Values of `RiskDecision.kind`.
    enum Kind {
        None,
        Open,
        Adjust,
        Liquidate,
        Close
    }

    /// @notice Values of `Position.status`.
    enum Status {
        None,
        Open,
        Closed,
        Liquidated
    }

    /// @notice Market modes, from least to most restrictive (the guardian may only move down this list).
    enum MarketMode {
        Active,
        ReduceOnly,
        Frozen
    }

    /// @notice Why `applyDecisions` skipped an item (the `reason` of `DecisionSkipped`). The single-decision path
    ///         reverts with the matching custom error instead.
    enum SkipReason {
        None,
        WrongKind, // 1: not ADJUST or LIQUIDATE
        PositionNotOpen, // 2: unknown, closed or liquidated
        StaleVersion, // 3: the position changed since the decision (top-up, earlier decision, ...)
        Expired, // 4: the item's own validUntil has passed
        ModelNotAllowed, // 5: modelHash not registered (or deregistered since)
        MarketMismatch, // 6: marketId is not the position's market, or the market is unlisted
        MarketFrozen, // 7: the market is FROZEN
        PositionFrozen, // 8: the guardian froze the position
        BadPrice, // 9: zero, older than maxPriceAge or the position's last change, or dated ahead of the block
        NotLiquidatable, // 10: LIQUIDATE on a position that is healthy at the signed price
        RiskBounds, // 11: leverage cap, margin bounds, margin step, risk score or close factor out of range
        InsufficientLiquidity, // 12: the vault cannot pay the position's profit
        FeedDeviation, // 13: the signed price is further than maxFeedDeviationBps from the market's price feed
        FeedUnavailable, // 14: the market's price feed answer is older than maxFeedAge, not positive, or unreadable
        DecisionTtl // 15: validUntil − priceTimestamp is above the market's maxDecisionTtl
    }

    // ---------------------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------------------

    /// @notice The caller is not the admin.
    error NotAdmin(address caller);
    /// @notice The caller is neither the guardian nor the admin.
    error NotGuardian(address caller);
    /// @notice The caller is not the pending admin.
    error NotPendingAdmin(address caller);
    /// @notice An address argument named `field` is zero.
    error ZeroAddress(string field);
    /// @notice An amount argument is zero or too large for 128 bits.
    error InvalidAmount(uint256 amount);
    /// @notice Opens, closes and the oracle path are stopped.
    error SystemHalted();

    /// @notice The quorum bitmap has bits at or beyond the number of signers.
    error BitmapOutOfRange(uint256 signerBitmap, uint256 signerCount);
    /// @notice The bitmap does not have exactly `threshold` bits, or `signatures` is not `threshold` × 64 bytes.
    error WrongSignatureCount(uint256 expected, uint256 bitsSet, uint256 signatureBytes);
    /// @notice Signature number `index` has s above secp256k1n/2.
    error HighS(uint256 index);
    /// @notice The signature for bit `signerIndex` recovers to `recovered`, which is not `signers()[signerIndex]`.
    error InvalidSigner(uint256 signerIndex, address recovered);
    /// @notice The signer set breaks a rule: 1..32 signers, 2 × threshold > count, threshold ≤ count.
    error InvalidSignerSet(uint256 count, uint8 threshold);
    /// @notice `signers[index]` is the zero address.
    error ZeroSigner(uint256 index);
    /// @notice `signer` appears twice in the signer set.
    error DuplicateSigner(address signer);

    /// @notice The decision's kind is not the one this function takes.
    error WrongKind(uint8 expected, uint8 actual);
    /// @notice The caller is not the position's trader.
    error NotTrader(address caller, address trader);
    /// @notice The trader's signature on a relayed open does not verify.
    error InvalidTraderSignature(address trader);
    /// @notice The decision's validUntil has passed.
    error DecisionExpired(uint64 validUntil, uint256 timestamp);
    /// @notice The decision's modelHash is not registered.
    error ModelNotAllowed(bytes32 modelHash);
    /// @notice The model hash to register is zero.
    error ZeroModelHash();

    /// @notice The market is not listed.
    error MarketNotListed(bytes32 marketId);
    /// @notice The market's mode forbids this action.
    error MarketModeForbids(bytes32 marketId, uint8 mode);
    /// @notice The decision's marketId is not the position's market.
    error MarketMismatch(bytes32 positionId, bytes32 marketId);
    /// @notice A market config field is out of range; `field` names it.
    error InvalidMarketConfig(bytes32 marketId, string field);
    /// @notice The mode value is not ACTIVE, REDUCE_ONLY or FROZEN.
    error InvalidMode(uint8 mode);
    /// @notice The guardian may only make a market more restrictive.
    error GuardianCannotLoosen(bytes32 marketId, uint8 currentMode, uint8 requestedMode);

    /// @notice The position id is already in use (open or finished).
    error PositionExists(bytes32 positionId);
    /// @notice The position is not open.
    error PositionNotOpen(bytes32 positionId, uint8 status);
    /// @notice The guardian froze the position.
    error PositionIsFrozen(bytes32 positionId);
    /// @notice The decision was made against another version of the position.
    error StaleVersion(bytes32 positionId, uint64 expected, uint64 actual);

    /// @notice The signed price is zero.
    error ZeroPrice();
    /// @notice The signed price is older than the market's maxPriceAge.
    error PriceTooOld(uint64 priceTimestamp, uint64 maxPriceAge, uint256 timestamp);
    /// @notice The signed price predates the position's last change.
    error PriceBeforeLastChange(uint64 priceTimestamp, uint64 lastChange);

    /// @notice Collateral or size of an OPEN is zero.
    error ZeroPositionAmount();
    /// @notice Requested leverage (size × 100 / collateral, rounded down) is above `capX100`.
    error LeverageAboveCap(uint256 leverageX100, uint256 capX100);
    /// @notice The decision's leverage cap is above the market's cap.
    error DecisionCapAboveMarketCap(uint32 decisionCapX100, uint32 marketCapX100);
    /// @notice The maintenance margin is outside the market's bounds.
    error MarginOutOfBounds(uint32 marginBps, uint32 minBps, uint32 maxBps);
    /// @notice One ADJUST may move the maintenance margin by at most maxMarginStepBps.
    error MarginStepTooLarge(uint32 fromBps, uint32 toBps, uint32 maxStepBps);
    /// @notice The risk score is above 10000 bps.
    error RiskScoreOutOfRange(uint16 riskScoreBps);
    /// @notice A LIQUIDATE close factor must be 1..10000 bps.
    error CloseFactorOutOfRange(uint32 closeFactorBps);
    /// @notice The new position would be liquidatable at once (collateral below the maintenance requirement).
    error OpenWouldBeLiquidatable(uint256 collateral, uint256 requirement);
    /// @notice LIQUIDATE on a position whose equity covers its maintenance requirement at the signed price.
    error NotLiquidatable(bytes32 positionId, int256 equity, uint256 requirement);
    /// @notice The liquidity vault (or the insurance fund) holds less than needed.
    error InsufficientLiquidity(uint256 needed, uint256 available);

    /// @notice The signed price is dated more than `MAX_FUTURE_DRIFT` (2) seconds after the block: a future-dated price
    ///         would switch the age checks off.
    error PriceInFuture(uint64 priceTimestamp, uint256 timestamp);
    /// @notice The decision lives longer after its price than the market's maxDecisionTtl allows.
    error DecisionTtlTooLong(uint64 priceTimestamp, uint64 validUntil, uint64 maxDecisionTtl);
    /// @notice The signed price is further than `maxDeviationBps` from the market's price feed (`feedPriceE18`).
    error PriceDeviatesFromFeed(uint128 markPriceE18, uint256 feedPriceE18, uint32 maxDeviationBps);
    /// @notice The market's price feed cannot be used: its answer is not positive, older than maxFeedAge, or the
    ///         call failed (`updatedAt` 0).
    error FeedUnavailable(address priceFeed, int256 answer, uint256 updatedAt);
    /// @notice An OPEN would take the side's open interest above the market's cap.
    error OpenInterestCapExceeded(bytes32 marketId, bool isLong, uint256 openInterest, uint128 cap);
    /// @notice A market limits field is out of range (or the feed's decimals unreadable or above 36); `field` names it.
    error InvalidMarketLimits(bytes32 marketId, string field);
    /// @notice `emergencyClose` needs a price feed on the market.
    error NoPriceFeed(bytes32 marketId);
    /// @notice `emergencyClose` is only open after the market's oracle liveness timeout: decisions were applied
    ///         recently and the system is not halted for that long (`availableAt` is the earliest time, 0 = never).
    error OracleStillLive(bytes32 marketId, uint64 availableAt);
    /// @notice msg.sender has no claimable payout.
    error NothingToClaim(address account);
    /// @notice No queued governance operation has this id (never queued, executed or cancelled).
    error UnknownGovernanceOp(bytes32 opId);
    /// @notice The governance operation's delay has not passed.
    error GovernanceOpNotReady(bytes32 opId, uint64 eta, uint256 timestamp);
    /// @notice The governance delay is above `MAX_GOVERNANCE_DELAY` (30 days).
    error InvalidGovernanceDelay(uint64 delay);
    /// @notice A queued governance operation failed when executed (its checks no longer hold); `reason` is the
    ///         revert data of the call.
    error GovernanceOpFailed(bytes32 opId, bytes reason);

    /// @notice A token transfer into the contract re-entered another one (balance-delta accounting would count twice).
    error ReentrantTransfer();

    /// @notice This batch nonce was used before.
    error BatchNonceUsed(uint64 batchNonce);
    /// @notice A batch must carry at least one decision.
    error EmptyBatch();

    // ---------------------------------------------------------------------------------------------------------
    // Events (one indexed topic at most: MegaETH charges 3,750 gas per topic)
    // ---------------------------------------------------------------------------------------------------------

    /// @notice A position was opened by the OPEN decision with EIP-712 digest `decisionHash`.
    event PositionOpened(
        bytes32 indexed positionId,
        bytes32 decisionHash,
        address trader,
        bytes32 marketId,
        bool isLong,
        uint128 collateral,
        uint128 size,
        uint128 entryPriceE18
    );
    /// @notice `amount` was added to the position's collateral; the position is now at `version`.
    event CollateralAdded(bytes32 indexed positionId, address from, uint128 amount, uint128 collateral, uint64 version);
    /// @notice An ADJUST applied. A tighter margin takes effect at `marginEffectiveAt` (now when loosening).
    event RiskUpdated(
        bytes32 indexed positionId,
        bytes32 decisionHash,
        uint32 maxLeverageX100,
        uint32 maintenanceMarginBps,
        uint16 riskScoreBps,
        uint64 marginEffectiveAt
    );
    /// @notice The trader closed the position; `payout` went to the trader, `badDebt` was lost beyond collateral.
    event PositionClosed(bytes32 indexed positionId, bytes32 decisionHash, int256 pnl, uint128 payout, uint128 badDebt);
    /// @notice A LIQUIDATE applied: `sizeClosed` of the size was closed with `pnl`; `penalty` went to the insurance
    ///         fund; `badDebt` is the loss beyond collateral.
    event PositionLiquidated(
        bytes32 indexed positionId,
        bytes32 decisionHash,
        uint128 sizeClosed,
        int256 pnl,
        uint128 penalty,
        uint128 badDebt
    );
    /// @notice Bad debt of a position was covered: `fromInsurance` moved from the insurance fund to the vault, the
    ///         vault absorbed `fromVault`.
    event BadDebtCovered(bytes32 indexed positionId, uint128 fromInsurance, uint128 fromVault);
    /// @notice A batch item was not applied (`reason` is a `SkipReason`); `decisionHash` is its EIP-712 digest.
    event DecisionSkipped(bytes32 indexed positionId, uint8 reason, bytes32 decisionHash);
    /// @notice A batch was accepted: `applied` items applied, `skipped` skipped.
    event BatchApplied(uint64 batchNonce, bytes32 batchHash, uint256 applied, uint256 skipped);

    /// @notice The borrow fee `fee` accrued on the position was charged at settlement and went to the vault.
    event BorrowFeeCharged(bytes32 indexed positionId, uint128 fee);
    /// @notice A payout to `trader` could not be transferred (the token refused it) and is claimable instead.
    event PayoutEscrowed(bytes32 indexed positionId, address trader, uint128 amount);
    /// @notice `account` claimed `amount` of escrowed payouts, sent to `to`.
    event PayoutClaimed(address indexed account, address to, uint128 amount);
    /// @notice The trader closed the position without the oracle, at the price feed's `priceE18`, after the
    ///         market's oracle liveness timeout.
    event EmergencyClosed(
        bytes32 indexed positionId, uint128 priceE18, int256 pnl, uint128 fee, uint128 payout, uint128 badDebt
    );
    /// @notice A market's limits were set.
    event MarketLimitsSet(bytes32 indexed marketId, MarketLimits limits);
    /// @notice A loosening governance call was queued: `data` (its calldata) runs by `executeGovernance(opId)` from
    ///         `eta` on. `opId = keccak256(abi.encode(nonce, data))` with a per-contract nonce counting from 0.
    event GovernanceQueued(bytes32 indexed opId, uint64 eta, bytes data);
    /// @notice A queued governance operation ran.
    event GovernanceExecuted(bytes32 indexed opId);
    /// @notice A queued governance operation was cancelled by `by`.
    event GovernanceCancelled(bytes32 indexed opId, address by);
    /// @notice The governance delay changed.
    event GovernanceDelaySet(uint64 delay);

    /// @notice The oracle signer set changed.
    event SignersUpdated(address[] signers, uint8 threshold);
    /// @notice A model hash was (de)registered.
    event ModelUpdated(bytes32 indexed modelHash, bool allowed);
    /// @notice The system was halted by `by`.
    event Halted(address by);
    /// @notice The system was resumed by `by`.
    event Resumed(address by);
    /// @notice A market was listed or reconfigured.
    event MarketSet(bytes32 indexed marketId, MarketConfig config);
    /// @notice A market's mode changed.
    event MarketModeSet(bytes32 indexed marketId, uint8 mode);
    /// @notice A position was frozen or unfrozen.
    event PositionFrozen(bytes32 indexed positionId, bool frozen);
    /// @notice Liquidity entered the vault.
    event LiquidityDeposited(address from, uint256 amount);
    /// @notice Liquidity left the vault.
    event LiquidityWithdrawn(address to, uint256 amount);
    /// @notice The insurance fund was topped up.
    event InsuranceFunded(address from, uint256 amount);
    /// @notice An admin transfer was proposed.
    event AdminTransferStarted(address currentAdmin, address pendingAdmin);
    /// @notice The admin changed.
    event AdminChanged(address previousAdmin, address newAdmin);
    /// @notice The guardian changed.
    event GuardianChanged(address previousGuardian, address newGuardian);

    // ---------------------------------------------------------------------------------------------------------
    // Traders
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Opens a position under an OPEN decision; pulls `d.collateral` from the trader (approve first).
    /// @dev msg.sender must be `d.trader`. Checks: not halted, market listed and ACTIVE, model registered, version 0,
    ///      not expired, fresh price, leverage within the decision's and the market's cap, margin within bounds, the
    ///      new position not liquidatable, the position id unused.
    /// @return positionId `d.positionId`.
    function openPosition(RiskDecision calldata d, Quorum calldata q) external returns (bytes32 positionId);

    /// @notice `openPosition` relayed by anyone: the trader signed the decision's EIP-712 digest (65-byte ECDSA, or
    ///         ERC-1271 for contract wallets); collateral is pulled from the trader.
    function openPositionFor(RiskDecision calldata d, Quorum calldata q, bytes calldata traderSig)
        external
        returns (bytes32 positionId);

    /// @notice Adds to an open position's collateral, from msg.sender; the position gains what the contract actually
    ///         received (a fee-on-transfer token credits less than `amount`). Allowed while halted, in reduce-only or
    ///         frozen markets and on frozen positions: it only makes a position safer. It does not bump the version:
    ///         a pending decision stays valid, and a LIQUIDATE re-checks health on the current collateral.
    function addCollateral(bytes32 positionId, uint128 amount) external;

    /// @notice Closes the position at the signed price under a CLOSE decision; msg.sender must be the trader.
    ///         The trader receives max(collateral + pnl − borrow fee, 0); a loss beyond collateral is bad debt.
    function closePosition(RiskDecision calldata d, Quorum calldata q) external;

    /// @notice Closes msg.sender's position without the oracle, at the market's price feed price (no penalty; the
    ///         borrow fee is charged). Only once no decision has been applied in the market for its
    ///         `oracleLivenessTimeout`, or the system has been halted that long; works while halted, in any market
    ///         mode and on an unlisted market, not on a frozen position.
    function emergencyClose(bytes32 positionId) external;

    /// @notice Sends msg.sender's escrowed payouts (see `PayoutEscrowed`) to `to`.
    /// @return amount What was sent.
    function claim(address to) external returns (uint128 amount);

    // ---------------------------------------------------------------------------------------------------------
    // Oracle path (anyone may relay; the signatures are the authority)
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Applies one ADJUST or LIQUIDATE decision; reverts with the reason when it does not hold.
    function applyDecision(RiskDecision calldata d, Quorum calldata q) external;

    /// @notice Applies many ADJUST / LIQUIDATE decisions under one signature set over the `DecisionList` digest.
    ///         Reverts when halted, expired, the nonce was used or the quorum fails; an item that no longer holds is
    ///         skipped with `DecisionSkipped`, not reverted.
    /// @return appliedCount The number of decisions applied.
    function applyDecisions(uint64 batchNonce, uint64 validUntil, RiskDecision[] calldata ds, Quorum calldata q)
        external
        returns (uint256 appliedCount);

    // ---------------------------------------------------------------------------------------------------------
    // Liquidity
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Adds `amount` from msg.sender to the liquidity vault (the counterparty of every position); the vault
    ///         gains what the contract actually received.
    function depositLiquidity(uint256 amount) external;

    /// @notice Admin only: takes `amount` out of the vault to the admin. The vault is protocol-owned in this version.
    ///         Queued while governanceDelay > 0 (the admin at execution time receives it).
    function withdrawLiquidity(uint256 amount) external;

    /// @notice Adds `amount` from msg.sender to the insurance fund (first payer of bad debt); the fund gains what the
    ///         contract actually received.
    function fundInsurance(uint256 amount) external;

    // ---------------------------------------------------------------------------------------------------------
    // Governance and failsafes
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Admin: lists or reconfigures a market. A new market starts ACTIVE; the mode of a known one is kept.
    ///         Tightening (every field no looser: unlisting, a lower cap, penalty, step or price age, narrower margin
    ///         bounds, a longer grace) applies at once; anything else, a new market included, is queued while
    ///         governanceDelay > 0. maxLeverageX100 is at most 65535.
    function setMarket(bytes32 marketId, MarketConfig calldata cfg) external;

    /// @notice Admin: replaces the oracle signer set (1..32 distinct non-zero addresses, 2 × threshold > n). Queued
    ///         while governanceDelay > 0.
    function setSigners(address[] calldata newSigners, uint8 newThreshold) external;

    /// @notice Admin: registers or deregisters a model hash. Registering is queued while governanceDelay > 0;
    ///         deregistering applies at once.
    function setModel(bytes32 modelHash, bool allowed) external;

    /// @notice Guardian or admin: stops opens, closes and the oracle path (addCollateral still works).
    function halt() external;

    /// @notice Admin: lifts a halt.
    function resume() external;

    /// @notice Sets a market's mode (0 ACTIVE, 1 REDUCE_ONLY, 2 FROZEN). The guardian may only restrict.
    function setMarketMode(bytes32 marketId, uint8 mode) external;

    /// @notice Guardian or admin: (un)freezes a position; a frozen position takes no oracle decision and no close.
    function freezePosition(bytes32 positionId, bool frozen) external;

    /// @notice Admin: proposes `newAdmin`, who must call `acceptAdmin`.
    function transferAdmin(address newAdmin) external;

    /// @notice The pending admin takes over.
    function acceptAdmin() external;

    /// @notice Admin: replaces the guardian (at once: a compromised guardian must be replaceable without its consent).
    function setGuardian(address newGuardian) external;

    /// @notice Admin: sets the market's version 2 limits. Tightening (every field no looser: a lower non-zero cap, age,
    ///         TTL, deviation or rate, a shorter non-zero liveness timeout, the same feed) applies at once; anything
    ///         else is queued while governanceDelay > 0. The feed's `decimals()` is read and stored here.
    function setMarketLimits(bytes32 marketId, MarketLimits calldata limits) external;

    /// @notice Admin: sets the governance delay (at most 30 days). Raising applies at once; lowering is queued.
    function setGovernanceDelay(uint64 delay) external;

    /// @notice Admin: runs a queued governance operation once its eta has passed.
    function executeGovernance(bytes32 opId) external;

    /// @notice Guardian or admin: drops a queued governance operation.
    function cancelGovernance(bytes32 opId) external;

    // ---------------------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------------------

    /// @notice The position, with the maintenance margin in force now.
    function getPosition(bytes32 positionId) external view returns (Position memory);

    /// @notice A tighter maintenance margin waiting for its grace period (zeros when none).
    function pendingMargin(bytes32 positionId) external view returns (uint32 marginBps, uint64 effectiveAt);

    /// @notice The market's config and mode.
    function getMarket(bytes32 marketId) external view returns (MarketConfig memory cfg, uint8 mode);

    /// @notice Every market id ever listed, in listing order.
    function marketIds() external view returns (bytes32[] memory);

    /// @notice The EIP-712 digest the quorum signs for one decision.
    function decisionDigest(RiskDecision calldata d) external view returns (bytes32);

    /// @notice The EIP-712 digest of a `DecisionList`.
    function batchDigest(uint64 batchNonce, uint64 validUntil, RiskDecision[] calldata ds)
        external
        view
        returns (bytes32);

    /// @notice Whether the position's equity is below its maintenance requirement at `markPriceE18`.
    function isLiquidatable(bytes32 positionId, uint128 markPriceE18) external view returns (bool);

    /// @notice The oracle signers, in bitmap index order.
    function signers() external view returns (address[] memory);

    /// @notice Signatures required per quorum.
    function threshold() external view returns (uint8);

    /// @notice Whether `batchNonce` was used.
    function isBatchNonceUsed(uint64 batchNonce) external view returns (bool);

    /// @notice Whether `modelHash` is registered.
    function isModelAllowed(bytes32 modelHash) external view returns (bool);

    /// @notice Whether the system is halted.
    function halted() external view returns (bool);

    /// @notice The admin.
    function admin() external view returns (address);

    /// @notice The guardian.
    function guardian() external view returns (address);

    /// @notice The collateral token.
    function collateralToken() external view returns (address);

    /// @notice Sum of open positions' collateral.
    function totalCollateral() external view returns (uint128);

    /// @notice The liquidity vault's balance.
    function vaultBalance() external view returns (uint128);

    /// @notice The insurance fund's balance.
    function insuranceBalance() external view returns (uint128);

    /// @notice Cumulative bad debt (loss beyond collateral) ever recorded.
    function totalBadDebt() external view returns (uint128);

    /// @notice The market's version 2 limits (zeros when none were set).
    function getMarketLimits(bytes32 marketId) external view returns (MarketLimits memory);

    /// @notice The summed size (notional) of the market's open long and short positions.
    function openInterest(bytes32 marketId) external view returns (uint128 longOpenInterest, uint128 shortOpenInterest);

    /// @notice The borrow fee accrued on the position and not yet charged:
    ///         `size × (marketIndex − positionIndex) / 864e6` rounded down (see `borrowIndex`).
    function accruedBorrowFee(bytes32 positionId) external view returns (uint128);

    /// @notice The borrow index of the position's market now and the position's own (the market's index when the
    ///         fee was last charged). The index is the sum over time of `borrowRateBpsPerDay × seconds`.
    function borrowIndex(bytes32 positionId) external view returns (uint64 marketIndex, uint64 positionIndex);

    /// @notice The earliest time `emergencyClose` opens on the market if nothing else happens (0: never, no timeout).
    ///         Decisions refresh the market's liveness stamp only every timeout/16 seconds, so the stamp may be up to
    ///         that much older than the last decision; the exit opens `timeout + timeout/16` after the stamp, never
    ///         less than `timeout` after the last decision.
    function emergencyCloseAvailableAt(bytes32 marketId) external view returns (uint64);

    /// @notice Payouts escrowed for `account` (see `claim`).
    function claimable(address account) external view returns (uint128);

    /// @notice Sum of every account's claimable payouts.
    function totalClaimable() external view returns (uint128);

    /// @notice The governance delay in seconds (0: every change applies in the same call).
    function governanceDelay() external view returns (uint64);

    /// @notice A queued governance operation: its eta and calldata (eta 0: none).
    function governanceOp(bytes32 opId) external view returns (uint64 eta, bytes memory data);

    /// @notice The nonce the next queued governance operation takes.
    function governanceNonce() external view returns (uint64);
}
