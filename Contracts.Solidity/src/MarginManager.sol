// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IMarginManager} from "./interfaces/IMarginManager.sol";
import {IPriceFeed} from "./interfaces/IPriceFeed.sol";
import {DecisionHash} from "./libraries/DecisionHash.sol";
import {PositionMath} from "./libraries/PositionMath.sol";
import {QuorumLib} from "./libraries/QuorumLib.sol";
import {SignerSet} from "./libraries/SignerSet.sol";

/// @title MarginManager
/// @notice Isolated-margin positions governed by M-of-N signed AI risk decisions. The liquidity vault is the
///         counterparty of every position; the insurance fund pays bad debt first. See README.md for the design.
/// @dev Storage is packed so that an OPEN writes three new slots and an ADJUST reads two position slots and writes
///      one: MegaETH charges for storage, and the batch path applies up to hundreds of decisions per transaction.
///      Every entry that moves tokens or the books is `nonReentrant` (one transient slot): payouts run before a
///      batch's books are written, and the collateral token is a constructor argument, so a token with transfer
///      hooks must not let the receiver re-enter while the books are stale. executeGovernance is not guarded: it
///      self-calls the queued function, which carries its own guard where it moves tokens (withdrawLiquidity).
// Twenty state variables: five are mappings and two transient flags; grouping them into structs would only hide them.
// solhint-disable-next-line max-states-count
contract MarginManager is IMarginManager, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @dev A position as stored: 4 slots (the last only while a tighter margin waits for its grace period).
    struct StoredPosition {
        // slot 0: read by every decision; written when the position opens, settles, pays a fee or is (un)frozen
        address trader;
        uint8 status;
        bool isLong;
        bool frozen;
        uint16 marketIndex;
        uint56 borrowIndex; // the market's borrow index when the fee was last charged
        // slot 1: read by health checks, written by settlements and top-ups
        uint128 collateral;
        uint128 size;
        // slot 2: the risk state, written by every ADJUST (margins fit 16 bits: they are at most 10000 bps)
        uint128 entryPriceE18;
        uint16 maxLeverageX100;
        uint16 maintenanceMarginBps;
        uint16 pendingMarginBps; // 0: no tightening waiting
        uint16 riskScoreBps;
        uint32 version;
        uint32 lastChange;
        // slot 3: read only while pendingMarginBps != 0
        uint40 pendingFrom;
    }

    /// @dev A market as stored. Slot 0 and 1 are read by every decision, slot 2 by health checks, 3 and 4 by opens
    ///      and settlements.
    struct StoredMarket {
        // slot 0: the config and the time limits
        bool listed;
        uint8 mode;
        uint16 index;
        uint16 maxLeverageX100;
        uint16 minMaintenanceMarginBps;
        uint16 maxMaintenanceMarginBps;
        uint16 maxMarginStepBps;
        uint16 liquidationPenaltyBps;
        uint32 maxPriceAge;
        uint32 tighteningGrace;
        uint32 maxDecisionTtl;
        uint32 livenessTimeout;
        // slot 1: the feed guard and the liveness stamp
        address priceFeed;
        uint8 feedDecimals;
        uint16 maxFeedDeviationBps;
        uint32 maxFeedAge;
        uint32 lastDecisionAt;
        // slot 2: the borrow fee index, checkpointed when the rate changes
        uint32 borrowRateBpsPerDay;
        uint56 borrowIndex;
        uint32 borrowIndexTime;
        // slot 3
        uint128 openInterestLong;
        uint128 openInterestShort;
        // slot 4
        uint128 maxOpenInterestLong;
        uint128 maxOpenInterestShort;
    }

    /// @dev The books: collateral and vault move together on every settlement.
    struct Accounts {
        uint128 totalCollateral;
        uint128 vault;
        uint128 insurance;
        uint128 badDebt;
        uint128 claimable;
    }

    /// @dev A queued governance call: its calldata runs against this contract from `eta` on.
    struct GovernanceOp {
        uint64 eta;
        bytes data;
    }

    /// @dev What a settlement moved (ok = false: the vault could not pay the profit and nothing changed).
    struct Settlement {
        bool ok;
        uint128 payout;
        uint128 penalty;
        uint128 badDebt;
        uint128 fee;
    }

    /// @dev What one transaction keeps in memory across its decisions: the feed's answer for one market (read once
    ///      per transaction and market; `marketIndex` 0: not read yet), the last model found allowed, and the books'
    ///      changes, written to storage once by `_flush` (a batch of settlements costs one write per field, not one
    ///      per item). Deltas, not totals: the books are only ever added to, so nothing written meanwhile is lost.
    struct TxCache {
        uint256 marketIndex; // index + 1
        uint256 priceE18; // 0: unavailable
        bytes32 allowedModel;
        int256 vaultDelta;
        int256 insuranceDelta;
        uint256 collateralReleased;
        uint256 badDebtAdded;
    }

    uint256 private constant BPS = 10_000;
    /// @dev bps × seconds per day: the borrow index counts bps·seconds.
    uint256 private constant FEE_DENOMINATOR = 864_000_000;
    uint256 private constant MAX_SIGNERS = 32;
    uint256 private constant MAX_FUTURE_DRIFT = 2;
    uint256 private constant MAX_GOVERNANCE_DELAY = 30 days;
    uint8 private constant OPEN = uint8(Kind.Open);
    uint8 private constant ADJUST = uint8(Kind.Adjust);
    uint8 private constant LIQUIDATE = uint8(Kind.Liquidate);
    uint8 private constant CLOSE = uint8(Kind.Close);
    uint8 private constant STATUS_OPEN = uint8(Status.Open);
    uint8 private constant MODE_ACTIVE = uint8(MarketMode.Active);
    uint8 private constant MODE_FROZEN = uint8(MarketMode.Frozen);

    IERC20 private immutable COLLATERAL_TOKEN;

    // One slot read by every guarded call: where the signer list lives (see SignerSet), its size and threshold,
    // whether the system is halted and since when.
    address private _signerData;
    uint8 private _threshold;
    uint8 private _signerCount;
    bool private _halted;
    uint32 private _haltedAt;

    address private _admin;
    address private _guardian;
    uint32 private _governanceDelay;
    address private _pendingAdmin;
    uint64 private _governanceNonce;

    // Where every token the contract holds belongs:
    // balanceOf(this) == totalCollateral + vault + insurance + claimable.
    Accounts private _acct;

    mapping(bytes32 positionId => StoredPosition) private _positions;
    mapping(bytes32 marketId => StoredMarket) private _markets;
    bytes32[] private _marketIds;
    mapping(bytes32 modelHash => bool) private _models;
    // Bitmap of used batch nonces: sequential nonces share a slot, 256 batches per new slot.
    mapping(uint256 word => uint256 bits) private _usedNonces;
    mapping(address account => uint128) private _claimable;
    mapping(bytes32 opId => GovernanceOp) private _ops;

    // Set while executeGovernance re-runs a queued call against this contract.
    bool private transient _executingOp;
    // Set while a token is pulled in: balance-delta accounting must not nest.
    bool private transient _pulling;

    /// @param collateralToken_ The collateral ERC-20.
    /// @param admin_ Governance: markets, signers, models, resume, liquidity withdrawals.
    /// @param guardian_ May halt, restrict market modes, freeze positions and cancel queued governance.
    /// @param signers_ Oracle signers, in bitmap index order.
    /// @param threshold_ Signatures required per quorum.
    constructor(
        address collateralToken_,
        address admin_,
        address guardian_,
        address[] memory signers_,
        uint8 threshold_
    ) EIP712("MarginManager", "1") {
        if (collateralToken_ == address(0)) revert ZeroAddress("collateralToken");
        if (admin_ == address(0)) revert ZeroAddress("admin");
        if (guardian_ == address(0)) revert ZeroAddress("guardian");
        COLLATERAL_TOKEN = IERC20(collateralToken_);
        _admin = admin_;
        _guardian = guardian_;
        _validateSigners(signers_, threshold_);
        _writeSigners(signers_, threshold_);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Traders
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IMarginManager
    function openPosition(RiskDecision calldata d, Quorum calldata q) external nonReentrant returns (bytes32) {
        if (msg.sender != d.trader) revert NotTrader(msg.sender, d.trader);
        return _open(d, q, _hashTypedDataV4(DecisionHash.hashDecision(d)));
    }

    /// @inheritdoc IMarginManager
    function openPositionFor(RiskDecision calldata d, Quorum calldata q, bytes calldata traderSig)
        external
        nonReentrant
        returns (bytes32)
    {
        bytes32 digest = _hashTypedDataV4(DecisionHash.hashDecision(d));
        if (!SignatureChecker.isValidSignatureNowCalldata(d.trader, digest, traderSig)) {
            revert InvalidTraderSignature(d.trader);
        }
        return _open(d, q, digest);
    }

    /// @inheritdoc IMarginManager
    function addCollateral(bytes32 positionId, uint128 amount) external nonReentrant {
        if (amount == 0) revert InvalidAmount(0);
        StoredPosition storage p = _positions[positionId];
        if (p.status != STATUS_OPEN) revert PositionNotOpen(positionId, p.status);
        uint128 received = _pull(msg.sender, amount);
        // Neither the version nor lastChange moves: a top-up never makes a pending decision stale (a LIQUIDATE
        // re-checks health on the collateral of the moment), so dust top-ups can neither evade nor grief.
        uint128 collateral = p.collateral + received;
        p.collateral = collateral;
        _acct.totalCollateral += received;
        emit CollateralAdded(positionId, msg.sender, received, collateral, p.version);
    }

    /// @inheritdoc IMarginManager
    function closePosition(RiskDecision calldata d, Quorum calldata q) external nonReentrant {
        if (_halted) revert SystemHalted();
        if (d.kind != CLOSE) revert WrongKind(CLOSE, d.kind);
        StoredPosition storage p = _positions[d.positionId];
        StoredMarket storage m = _markets[d.marketId];
        TxCache memory cache;
        _checkCommon(d, p, m, cache, true); // strict: reverts with the reason
        if (msg.sender != p.trader) revert NotTrader(msg.sender, p.trader);
        bytes32 digest = _hashTypedDataV4(DecisionHash.hashDecision(d));
        _verifyQuorum(digest, q);

        int256 pnl = PositionMath.pnl(p.isLong, p.size, p.entryPriceE18, d.markPriceE18);
        uint256 fee = _accruedFee(p, m);
        Settlement memory r = _settleFull(d.positionId, p, m, pnl, fee, 0, uint8(Status.Closed), cache);
        if (!r.ok) revert InsufficientLiquidity(SafeCast.toUint256(pnl), _acct.vault);
        _flush(cache);
        _touch(m);
        emit PositionClosed(d.positionId, digest, pnl, r.payout, r.badDebt);
        if (r.fee != 0) emit BorrowFeeCharged(d.positionId, r.fee);
        _pay(d.positionId, p.trader, r.payout);
    }

    /// @inheritdoc IMarginManager
    function emergencyClose(bytes32 positionId) external nonReentrant {
        StoredPosition storage p = _positions[positionId];
        if (p.status != STATUS_OPEN) revert PositionNotOpen(positionId, p.status);
        if (msg.sender != p.trader) revert NotTrader(msg.sender, p.trader);
        if (p.frozen) revert PositionIsFrozen(positionId);
        bytes32 marketId = _marketIds[p.marketIndex];
        StoredMarket storage m = _markets[marketId];
        address feed = m.priceFeed;
        if (feed == address(0)) revert NoPriceFeed(marketId);
        uint64 availableAt = _emergencyAt(m);
        if (availableAt == 0 || block.timestamp < availableAt) revert OracleStillLive(marketId, availableAt);
        uint256 price = _readFeed(feed, m.feedDecimals, m.maxFeedAge, true);

        int256 pnl = PositionMath.pnl(p.isLong, p.size, p.entryPriceE18, price);
        TxCache memory cache;
        Settlement memory r = _settleFull(positionId, p, m, pnl, _accruedFee(p, m), 0, uint8(Status.Closed), cache);
        if (!r.ok) revert InsufficientLiquidity(SafeCast.toUint256(pnl), _acct.vault);
        _flush(cache);
        emit EmergencyClosed(positionId, SafeCast.toUint128(price), pnl, r.fee, r.payout, r.badDebt);
        _pay(positionId, p.trader, r.payout);
    }

    /// @inheritdoc IMarginManager
    function claim(address to) external nonReentrant returns (uint128 amount) {
        if (to == address(0)) revert ZeroAddress("to");
        amount = _claimable[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        _claimable[msg.sender] = 0;
        _acct.claimable -= amount;
        emit PayoutClaimed(msg.sender, to, amount);
        COLLATERAL_TOKEN.safeTransfer(to, amount);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Oracle path
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IMarginManager
    function applyDecision(RiskDecision calldata d, Quorum calldata q) external nonReentrant {
        if (_halted) revert SystemHalted();
        bytes32 digest = _hashTypedDataV4(DecisionHash.hashDecision(d));
        _verifyQuorum(digest, q);
        TxCache memory cache;
        _applyOne(d, digest, cache, true);
        _flush(cache);
    }

    /// @inheritdoc IMarginManager
    function applyDecisions(uint64 batchNonce, uint64 validUntil, RiskDecision[] calldata ds, Quorum calldata q)
        external
        nonReentrant
        returns (uint256 appliedCount)
    {
        if (_halted) revert SystemHalted();
        if (block.timestamp > validUntil) revert DecisionExpired(validUntil, block.timestamp);
        uint256 n = ds.length;
        if (n == 0) revert EmptyBatch();
        bytes32[] memory structHashes = DecisionHash.hashDecisions(ds);
        bytes32 batchHash = _hashTypedDataV4(DecisionHash.hashList(batchNonce, validUntil, structHashes));
        _useNonce(batchNonce);
        _verifyQuorum(batchHash, q);

        bytes32 domain = _domainSeparatorV4();
        // The feed is read once per market run: batches are usually one market's decisions.
        TxCache memory cache;
        for (uint256 i; i < n; ++i) {
            // Each item's events carry the digest the engine computes for that decision on its own.
            bytes32 digest = MessageHashUtils.toTypedDataHash(domain, structHashes[i]);
            uint8 reason = _applyOne(ds[i], digest, cache, false);
            if (reason == 0) {
                ++appliedCount;
            } else {
                emit DecisionSkipped(ds[i].positionId, reason, digest);
            }
        }
        _flush(cache);
        emit BatchApplied(batchNonce, batchHash, appliedCount, n - appliedCount);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Liquidity
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IMarginManager
    function depositLiquidity(uint256 amount) external nonReentrant {
        uint128 received = _pull(msg.sender, _amount128(amount));
        _acct.vault += received;
        emit LiquidityDeposited(msg.sender, received);
    }

    /// @inheritdoc IMarginManager
    function withdrawLiquidity(uint256 amount) external nonReentrant {
        _onlyAdmin();
        uint128 a = _amount128(amount);
        if (!_applyNow(false)) return;
        uint128 vault = _acct.vault;
        if (a > vault) revert InsufficientLiquidity(amount, vault);
        _acct.vault = vault - a;
        // The admin of the moment: a queued withdrawal runs with this contract as msg.sender.
        address to = _admin;
        emit LiquidityWithdrawn(to, amount);
        COLLATERAL_TOKEN.safeTransfer(to, amount);
    }

    /// @inheritdoc IMarginManager
    function fundInsurance(uint256 amount) external nonReentrant {
        uint128 received = _pull(msg.sender, _amount128(amount));
        _acct.insurance += received;
        emit InsuranceFunded(msg.sender, received);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Governance and failsafes
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IMarginManager
    function setMarket(bytes32 marketId, MarketConfig calldata cfg) external {
        _onlyAdmin();
        _validateMarket(marketId, cfg);
        StoredMarket storage m = _markets[marketId];
        bool known = m.maxLeverageX100 != 0;
        bool tightening = known && (!cfg.listed || m.listed) && cfg.maxLeverageX100 <= m.maxLeverageX100
            && cfg.minMaintenanceMarginBps >= m.minMaintenanceMarginBps
            && cfg.maxMaintenanceMarginBps <= m.maxMaintenanceMarginBps && cfg.maxMarginStepBps <= m.maxMarginStepBps
            && cfg.liquidationPenaltyBps <= m.liquidationPenaltyBps && cfg.maxPriceAge <= m.maxPriceAge
            && cfg.tighteningGrace >= m.tighteningGrace;
        if (!_applyNow(tightening)) return;
        if (!known) {
            // First listing: a configured market always has a non-zero leverage cap.
            m.index = SafeCast.toUint16(_marketIds.length);
            _marketIds.push(marketId);
            m.lastDecisionAt = _now32();
            m.borrowIndexTime = _now32();
        }
        // _validateMarket bounded every field to its storage width.
        m.listed = cfg.listed;
        // forge-lint: disable-start(unsafe-typecast)
        m.maxLeverageX100 = uint16(cfg.maxLeverageX100);
        m.minMaintenanceMarginBps = uint16(cfg.minMaintenanceMarginBps);
        m.maxMaintenanceMarginBps = uint16(cfg.maxMaintenanceMarginBps);
        m.maxMarginStepBps = uint16(cfg.maxMarginStepBps);
        m.liquidationPenaltyBps = uint16(cfg.liquidationPenaltyBps);
        m.maxPriceAge = uint32(cfg.maxPriceAge);
        m.tighteningGrace = uint32(cfg.tighteningGrace);
        // forge-lint: disable-end(unsafe-typecast)
        emit MarketSet(marketId, cfg);
    }

    /// @inheritdoc IMarginManager
    function setMarketLimits(bytes32 marketId, MarketLimits calldata limits) external {
        _onlyAdmin();
        StoredMarket storage m = _markets[marketId];
        if (m.maxLeverageX100 == 0) revert MarketNotListed(marketId);
        uint8 decimals_ = _validateLimits(marketId, limits);
        bool tightening = limits.priceFeed == m.priceFeed
            && _noLooser(limits.maxFeedDeviationBps, m.maxFeedDeviationBps)
            && _noLooser(limits.maxFeedAge, m.maxFeedAge) && _noLooser(limits.maxDecisionTtl, m.maxDecisionTtl)
            && _noLooser(limits.maxOpenInterestLong, m.maxOpenInterestLong)
            && _noLooser(limits.maxOpenInterestShort, m.maxOpenInterestShort)
            && limits.borrowRateBpsPerDay <= m.borrowRateBpsPerDay
            && _noLooser(limits.oracleLivenessTimeout, m.livenessTimeout);
        if (!_applyNow(tightening)) return;
        // Checkpoint the borrow index at the old rate before the new one applies.
        m.borrowIndex = _borrowIndexNow(m);
        m.borrowIndexTime = _now32();
        // forge-lint: disable-start(unsafe-typecast)
        m.borrowRateBpsPerDay = limits.borrowRateBpsPerDay;
        m.priceFeed = limits.priceFeed;
        m.feedDecimals = decimals_;
        m.maxFeedDeviationBps = uint16(limits.maxFeedDeviationBps);
        m.maxFeedAge = uint32(limits.maxFeedAge);
        m.maxDecisionTtl = uint32(limits.maxDecisionTtl);
        m.maxOpenInterestLong = limits.maxOpenInterestLong;
        m.maxOpenInterestShort = limits.maxOpenInterestShort;
        // A timeout switched on counts from now, not from a stamp that was not kept while it was off.
        if (m.livenessTimeout == 0) m.lastDecisionAt = _now32();
        m.livenessTimeout = uint32(limits.oracleLivenessTimeout);
        // forge-lint: disable-end(unsafe-typecast)
        emit MarketLimitsSet(marketId, limits);
    }

    /// @inheritdoc IMarginManager
    function setSigners(address[] calldata newSigners, uint8 newThreshold) external {
        _onlyAdmin();
        // A bad set is refused when it is queued, not only when it would run a delay later.
        _validateSigners(newSigners, newThreshold);
        if (!_applyNow(false)) return;
        _writeSigners(newSigners, newThreshold);
    }

    /// @inheritdoc IMarginManager
    function setModel(bytes32 modelHash, bool allowed) external {
        _onlyAdmin();
        if (modelHash == bytes32(0)) revert ZeroModelHash();
        if (!_applyNow(!allowed)) return;
        _models[modelHash] = allowed;
        emit ModelUpdated(modelHash, allowed);
    }

    /// @inheritdoc IMarginManager
    function setGovernanceDelay(uint64 delay) external {
        _onlyAdmin();
        if (delay > MAX_GOVERNANCE_DELAY) revert InvalidGovernanceDelay(delay);
        if (!_applyNow(delay >= _governanceDelay)) return;
        // forge-lint: disable-next-line(unsafe-typecast)
        _governanceDelay = uint32(delay);
        emit GovernanceDelaySet(delay);
    }

    /// @inheritdoc IMarginManager
    function executeGovernance(bytes32 opId) external {
        _onlyAdmin();
        GovernanceOp storage op = _ops[opId];
        uint64 eta = op.eta;
        if (eta == 0) revert UnknownGovernanceOp(opId);
        if (block.timestamp < eta) revert GovernanceOpNotReady(opId, eta, block.timestamp);
        bytes memory data = op.data;
        delete _ops[opId];
        _executingOp = true;
        // The queued calldata is one of this contract's own governance calls; it re-checks its arguments.
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory reason) = address(this).call(data);
        _executingOp = false;
        if (!ok) revert GovernanceOpFailed(opId, reason); // the revert also restores the queued op
        emit GovernanceExecuted(opId);
    }

    /// @inheritdoc IMarginManager
    function cancelGovernance(bytes32 opId) external {
        _onlyGuardianOrAdmin();
        if (_ops[opId].eta == 0) revert UnknownGovernanceOp(opId);
        delete _ops[opId];
        emit GovernanceCancelled(opId, msg.sender);
    }

    /// @inheritdoc IMarginManager
    function halt() external {
        _onlyGuardianOrAdmin();
        if (!_halted) {
            _halted = true;
            _haltedAt = _now32();
        }
        emit Halted(msg.sender);
    }

    /// @inheritdoc IMarginManager
    function resume() external {
        _onlyAdmin();
        _halted = false;
        emit Resumed(msg.sender);
    }

    /// @inheritdoc IMarginManager
    function setMarketMode(bytes32 marketId, uint8 mode) external {
        bool isAdmin = msg.sender == _admin;
        if (!isAdmin && msg.sender != _guardian) revert NotGuardian(msg.sender);
        if (mode > MODE_FROZEN) revert InvalidMode(mode);
        StoredMarket storage m = _markets[marketId];
        if (!m.listed) revert MarketNotListed(marketId);
        if (!isAdmin && mode < m.mode) revert GuardianCannotLoosen(marketId, m.mode, mode);
        m.mode = mode;
        emit MarketModeSet(marketId, mode);
    }

    /// @inheritdoc IMarginManager
    function freezePosition(bytes32 positionId, bool frozen) external {
        _onlyGuardianOrAdmin();
        StoredPosition storage p = _positions[positionId];
        if (p.status != STATUS_OPEN) revert PositionNotOpen(positionId, p.status);
        p.frozen = frozen;
        // A freeze is a change: decisions signed before it must not land after an unfreeze.
        p.version += 1;
        p.lastChange = _now32();
        emit PositionFrozen(positionId, frozen);
    }

    /// @inheritdoc IMarginManager
    function transferAdmin(address newAdmin) external {
        _onlyAdmin();
        if (newAdmin == address(0)) revert ZeroAddress("newAdmin");
        _pendingAdmin = newAdmin;
        emit AdminTransferStarted(msg.sender, newAdmin);
    }

    /// @inheritdoc IMarginManager
    function acceptAdmin() external {
        if (msg.sender != _pendingAdmin) revert NotPendingAdmin(msg.sender);
        emit AdminChanged(_admin, msg.sender);
        _admin = msg.sender;
        _pendingAdmin = address(0);
    }

    /// @inheritdoc IMarginManager
    function setGuardian(address newGuardian) external {
        _onlyAdmin();
        if (newGuardian == address(0)) revert ZeroAddress("newGuardian");
        emit GuardianChanged(_guardian, newGuardian);
        _guardian = newGuardian;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IMarginManager
    function getPosition(bytes32 positionId) external view returns (Position memory pos) {
        StoredPosition storage p = _positions[positionId];
        if (p.status == 0) return pos;
        pos = Position({
            trader: p.trader,
            marketId: _marketIds[p.marketIndex],
            isLong: p.isLong,
            collateral: p.collateral,
            size: p.size,
            entryPriceE18: p.entryPriceE18,
            maxLeverageX100: p.maxLeverageX100,
            maintenanceMarginBps: _effectiveMargin(p),
            riskScoreBps: p.riskScoreBps,
            version: p.version,
            status: p.status,
            frozen: p.frozen
        });
    }

    /// @inheritdoc IMarginManager
    function pendingMargin(bytes32 positionId) external view returns (uint32 marginBps, uint64 effectiveAt) {
        StoredPosition storage p = _positions[positionId];
        if (p.pendingMarginBps != 0 && p.pendingFrom > block.timestamp) return (p.pendingMarginBps, p.pendingFrom);
    }

    /// @inheritdoc IMarginManager
    function getMarket(bytes32 marketId) external view returns (MarketConfig memory cfg, uint8 mode) {
        StoredMarket storage m = _markets[marketId];
        cfg = MarketConfig({
            listed: m.listed,
            maxLeverageX100: m.maxLeverageX100,
            minMaintenanceMarginBps: m.minMaintenanceMarginBps,
            maxMaintenanceMarginBps: m.maxMaintenanceMarginBps,
            maxMarginStepBps: m.maxMarginStepBps,
            liquidationPenaltyBps: m.liquidationPenaltyBps,
            maxPriceAge: m.maxPriceAge,
            tighteningGrace: m.tighteningGrace
        });
        mode = m.mode;
    }

    /// @inheritdoc IMarginManager
    function getMarketLimits(bytes32 marketId) external view returns (MarketLimits memory) {
        StoredMarket storage m = _markets[marketId];
        return MarketLimits({
            priceFeed: m.priceFeed,
            maxFeedDeviationBps: m.maxFeedDeviationBps,
            maxFeedAge: m.maxFeedAge,
            maxDecisionTtl: m.maxDecisionTtl,
            maxOpenInterestLong: m.maxOpenInterestLong,
            maxOpenInterestShort: m.maxOpenInterestShort,
            borrowRateBpsPerDay: m.borrowRateBpsPerDay,
            oracleLivenessTimeout: m.livenessTimeout
        });
    }

    /// @inheritdoc IMarginManager
    function openInterest(bytes32 marketId) external view returns (uint128, uint128) {
        StoredMarket storage m = _markets[marketId];
        return (m.openInterestLong, m.openInterestShort);
    }

    /// @inheritdoc IMarginManager
    function accruedBorrowFee(bytes32 positionId) external view returns (uint128) {
        StoredPosition storage p = _positions[positionId];
        if (p.status != STATUS_OPEN) return 0;
        return SafeCast.toUint128(_accruedFee(p, _markets[_marketIds[p.marketIndex]]));
    }

    /// @inheritdoc IMarginManager
    function borrowIndex(bytes32 positionId) external view returns (uint64 marketIndex, uint64 positionIndex) {
        StoredPosition storage p = _positions[positionId];
        if (p.status == 0) return (0, 0);
        return (_borrowIndexNow(_markets[_marketIds[p.marketIndex]]), p.borrowIndex);
    }

    /// @inheritdoc IMarginManager
    function emergencyCloseAvailableAt(bytes32 marketId) external view returns (uint64) {
        return _emergencyAt(_markets[marketId]);
    }

    /// @inheritdoc IMarginManager
    function claimable(address account) external view returns (uint128) {
        return _claimable[account];
    }

    /// @inheritdoc IMarginManager
    function totalClaimable() external view returns (uint128) {
        return _acct.claimable;
    }

    /// @inheritdoc IMarginManager
    function governanceDelay() external view returns (uint64) {
        return _governanceDelay;
    }

    /// @inheritdoc IMarginManager
    function governanceOp(bytes32 opId) external view returns (uint64 eta, bytes memory data) {
        GovernanceOp storage op = _ops[opId];
        return (op.eta, op.data);
    }

    /// @inheritdoc IMarginManager
    function governanceNonce() external view returns (uint64) {
        return _governanceNonce;
    }

    /// @inheritdoc IMarginManager
    function marketIds() external view returns (bytes32[] memory) {
        return _marketIds;
    }

    /// @inheritdoc IMarginManager
    function decisionDigest(RiskDecision calldata d) external view returns (bytes32) {
        return _hashTypedDataV4(DecisionHash.hashDecision(d));
    }

    /// @inheritdoc IMarginManager
    function batchDigest(uint64 batchNonce, uint64 validUntil, RiskDecision[] calldata ds)
        external
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(DecisionHash.hashList(batchNonce, validUntil, DecisionHash.hashDecisions(ds)));
    }

    /// @notice The EIP-712 domain separator (name "MarginManager", version "1", this chain, this contract).
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IMarginManager
    function isLiquidatable(bytes32 positionId, uint128 markPriceE18) external view returns (bool) {
        StoredPosition storage p = _positions[positionId];
        if (p.status != STATUS_OPEN) return false;
        (int256 equity, uint256 required,,) = _health(p, _markets[_marketIds[p.marketIndex]], markPriceE18);
        return equity < SafeCast.toInt256(required);
    }

    /// @inheritdoc IMarginManager
    function signers() external view returns (address[] memory list) {
        uint256 n = _signerCount;
        list = new address[](n);
        address pointer = _signerData;
        for (uint256 i; i < n; ++i) {
            list[i] = SignerSet.at(pointer, i);
        }
    }

    /// @inheritdoc IMarginManager
    function threshold() external view returns (uint8) {
        return _threshold;
    }

    /// @inheritdoc IMarginManager
    function isBatchNonceUsed(uint64 batchNonce) external view returns (bool) {
        return _usedNonces[batchNonce >> 8] & (1 << (batchNonce & 0xff)) != 0;
    }

    /// @inheritdoc IMarginManager
    function isModelAllowed(bytes32 modelHash) external view returns (bool) {
        return _models[modelHash];
    }

    /// @inheritdoc IMarginManager
    function halted() external view returns (bool) {
        return _halted;
    }

    /// @inheritdoc IMarginManager
    function admin() external view returns (address) {
        return _admin;
    }

    /// @inheritdoc IMarginManager
    function guardian() external view returns (address) {
        return _guardian;
    }

    /// @inheritdoc IMarginManager
    function collateralToken() external view returns (address) {
        return address(COLLATERAL_TOKEN);
    }

    /// @inheritdoc IMarginManager
    function totalCollateral() external view returns (uint128) {
        return _acct.totalCollateral;
    }

    /// @inheritdoc IMarginManager
    function vaultBalance() external view returns (uint128) {
        return _acct.vault;
    }

    /// @inheritdoc IMarginManager
    function insuranceBalance() external view returns (uint128) {
        return _acct.insurance;
    }

    /// @inheritdoc IMarginManager
    function totalBadDebt() external view returns (uint128) {
        return _acct.badDebt;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Internals: opening and checks
    // ---------------------------------------------------------------------------------------------------------

    function _open(RiskDecision calldata d, Quorum calldata q, bytes32 digest) private returns (bytes32) {
        if (_halted) revert SystemHalted();
        if (d.kind != OPEN) revert WrongKind(OPEN, d.kind);
        StoredMarket storage m = _markets[d.marketId];
        if (!m.listed) revert MarketNotListed(d.marketId);
        if (m.mode != MODE_ACTIVE) revert MarketModeForbids(d.marketId, m.mode);
        if (!_models[d.modelHash]) revert ModelNotAllowed(d.modelHash);
        if (d.positionVersion != 0) revert StaleVersion(d.positionId, 0, d.positionVersion);
        if (block.timestamp > d.validUntil) revert DecisionExpired(d.validUntil, block.timestamp);
        TxCache memory cache;
        _checkPrice(d, m, 0, cache, true);
        StoredPosition storage p = _positions[d.positionId];
        if (p.status != 0) revert PositionExists(d.positionId);
        if (d.collateral == 0 || d.size == 0) revert ZeroPositionAmount();
        _checkOpenBounds(d, m, d.collateral);
        _addOpenInterest(m, d.marketId, d.isLong, d.size);
        _verifyQuorum(digest, q);

        // A fee-on-transfer token credits less than asked: the position holds what arrived, checked again.
        uint128 collateral = _pull(d.trader, d.collateral);
        if (collateral != d.collateral) _checkOpenBounds(d, m, collateral);
        p.trader = d.trader;
        p.isLong = d.isLong;
        p.status = STATUS_OPEN;
        p.marketIndex = m.index;
        p.borrowIndex = _borrowIndexNow(m);
        p.collateral = collateral;
        p.size = d.size;
        p.entryPriceE18 = d.markPriceE18;
        // _checkOpenBounds bounded the cap by the market's (16 bits) and the margin by 10000.
        // forge-lint: disable-start(unsafe-typecast)
        p.maxLeverageX100 = uint16(d.maxLeverageX100);
        p.maintenanceMarginBps = uint16(d.maintenanceMarginBps);
        // forge-lint: disable-end(unsafe-typecast)
        p.riskScoreBps = d.riskScoreBps;
        p.version = 1;
        p.lastChange = _now32();
        _acct.totalCollateral += collateral;
        _touch(m);
        emit PositionOpened(d.positionId, digest, d.trader, d.marketId, d.isLong, collateral, d.size, d.markPriceE18);
        return d.positionId;
    }

    function _checkOpenBounds(RiskDecision calldata d, StoredMarket storage m, uint256 collateral) private view {
        uint256 size = d.size;
        uint32 cap = d.maxLeverageX100;
        if (cap > m.maxLeverageX100) revert DecisionCapAboveMarketCap(cap, m.maxLeverageX100);
        if (size * 100 > collateral * cap) revert LeverageAboveCap(size * 100 / collateral, cap);
        uint32 margin = d.maintenanceMarginBps;
        if (margin < m.minMaintenanceMarginBps || margin > m.maxMaintenanceMarginBps) {
            revert MarginOutOfBounds(margin, m.minMaintenanceMarginBps, m.maxMaintenanceMarginBps);
        }
        if (d.riskScoreBps > BPS) revert RiskScoreOutOfRange(d.riskScoreBps);
        uint256 required = PositionMath.requirement(size, margin);
        if (collateral < required) revert OpenWouldBeLiquidatable(collateral, required);
    }

    /// @dev Checks shared by ADJUST, LIQUIDATE and CLOSE against an existing position. Strict mode reverts with the
    ///      custom error; otherwise it returns the SkipReason (0 when everything holds).
    function _checkCommon(
        RiskDecision calldata d,
        StoredPosition storage p,
        StoredMarket storage m,
        TxCache memory cache,
        bool strict
    ) private view returns (uint8) {
        // Fields of one slot read together, before any branch: the optimizer then loads the slot once.
        (uint8 status, uint16 marketIndex, bool frozen) = (p.status, p.marketIndex, p.frozen);
        (bool listed, uint8 mode, bool known) = (m.listed, m.mode, _isMarketOf(m, marketIndex));
        if (status != STATUS_OPEN) {
            if (strict) revert PositionNotOpen(d.positionId, status);
            return uint8(SkipReason.PositionNotOpen);
        }
        // A delisted market still takes LIQUIDATE and CLOSE: winding a market down must not stop its exits.
        if (!known || (!listed && d.kind == ADJUST)) {
            if (strict) {
                if (!listed) revert MarketNotListed(d.marketId);
                revert MarketMismatch(d.positionId, d.marketId);
            }
            return uint8(SkipReason.MarketMismatch);
        }
        if (mode == MODE_FROZEN) {
            if (strict) revert MarketModeForbids(d.marketId, MODE_FROZEN);
            return uint8(SkipReason.MarketFrozen);
        }
        if (frozen) {
            if (strict) revert PositionIsFrozen(d.positionId);
            return uint8(SkipReason.PositionFrozen);
        }
        uint32 version = p.version;
        if (d.positionVersion != version) {
            if (strict) revert StaleVersion(d.positionId, version, d.positionVersion);
            return uint8(SkipReason.StaleVersion);
        }
        if (block.timestamp > d.validUntil) {
            if (strict) revert DecisionExpired(d.validUntil, block.timestamp);
            return uint8(SkipReason.Expired);
        }
        // Batches are usually one model's decisions: its flag is read once.
        bytes32 modelHash = d.modelHash;
        if (cache.allowedModel != modelHash) {
            if (!_models[modelHash]) {
                if (strict) revert ModelNotAllowed(modelHash);
                return uint8(SkipReason.ModelNotAllowed);
            }
            cache.allowedModel = modelHash;
        }
        return _checkPrice(d, m, p.lastChange, cache, strict);
    }

    /// @dev Whether `m` is a configured market (a non-zero leverage cap) at the position's market index.
    function _isMarketOf(StoredMarket storage m, uint16 marketIndex) private view returns (bool) {
        (uint16 index, uint16 maxLeverage) = (m.index, m.maxLeverageX100);
        return maxLeverage != 0 && index == marketIndex;
    }

    /// @dev The signed price: not zero, not older than maxPriceAge or the position's last change, not dated ahead of
    ///      the block, not living past maxDecisionTtl, and within maxFeedDeviationBps of the market's feed.
    function _checkPrice(
        RiskDecision calldata d,
        StoredMarket storage m,
        uint32 lastChange,
        TxCache memory cache,
        bool strict
    ) private view returns (uint8) {
        uint128 price = d.markPriceE18;
        uint64 priceTimestamp = d.priceTimestamp;
        if (price == 0) {
            if (strict) revert ZeroPrice();
            return uint8(SkipReason.BadPrice);
        }
        // A price a little ahead of the block is accepted (oracle and chain clocks differ by up to a second on
        // MegaETH); more would switch the age checks off.
        if (priceTimestamp > block.timestamp + MAX_FUTURE_DRIFT) {
            if (strict) revert PriceInFuture(priceTimestamp, block.timestamp);
            return uint8(SkipReason.BadPrice);
        }
        (uint32 maxAge, uint32 ttl, uint16 index) = (m.maxPriceAge, m.maxDecisionTtl, m.index);
        if (block.timestamp > priceTimestamp && block.timestamp - priceTimestamp > maxAge) {
            if (strict) revert PriceTooOld(priceTimestamp, maxAge, block.timestamp);
            return uint8(SkipReason.BadPrice);
        }
        if (priceTimestamp < lastChange) {
            if (strict) revert PriceBeforeLastChange(priceTimestamp, lastChange);
            return uint8(SkipReason.BadPrice);
        }
        if (ttl != 0 && d.validUntil > priceTimestamp && d.validUntil - priceTimestamp > ttl) {
            if (strict) revert DecisionTtlTooLong(priceTimestamp, d.validUntil, ttl);
            return uint8(SkipReason.DecisionTtl);
        }
        uint16 maxDeviation = m.maxFeedDeviationBps;
        if (maxDeviation == 0) return 0;
        uint256 feedPrice;
        uint256 cacheKey = uint256(index) + 1;
        if (cache.marketIndex == cacheKey) {
            feedPrice = cache.priceE18;
        } else {
            feedPrice = _readFeed(m.priceFeed, m.feedDecimals, m.maxFeedAge, strict);
            (cache.marketIndex, cache.priceE18) = (cacheKey, feedPrice);
        }
        if (feedPrice == 0) return uint8(SkipReason.FeedUnavailable);
        uint256 diff = price > feedPrice ? price - feedPrice : feedPrice - price;
        if (diff * BPS > feedPrice * maxDeviation) {
            if (strict) revert PriceDeviatesFromFeed(price, feedPrice, maxDeviation);
            return uint8(SkipReason.FeedDeviation);
        }
        return 0;
    }

    /// @dev The feed's answer scaled to 1e18, or 0 (strict: a revert) when it is not positive, older than `maxAge`
    ///      (when non-zero) or the call fails.
    function _readFeed(address feed, uint8 decimals_, uint32 maxAge, bool strict) private view returns (uint256) {
        int256 answer;
        uint256 updatedAt;
        try IPriceFeed(feed).latestRoundData() returns (uint80, int256 a, uint256, uint256 u, uint80) {
            (answer, updatedAt) = (a, u);
        } catch {
            updatedAt = 0; // a reverting feed is an unavailable feed
        }
        bool fresh =
            updatedAt != 0 && updatedAt <= block.timestamp && (maxAge == 0 || block.timestamp - updatedAt <= maxAge);
        if (answer <= 0 || !fresh) {
            if (strict) revert FeedUnavailable(feed, answer, updatedAt);
            return 0;
        }
        // _validateLimits bounded the decimals to 36 and the answer is positive.
        uint256 value = uint256(answer);
        return decimals_ <= 18 ? value * 10 ** (18 - decimals_) : value / 10 ** (decimals_ - 18);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Internals: decisions
    // ---------------------------------------------------------------------------------------------------------

    function _applyOne(RiskDecision calldata d, bytes32 digest, TxCache memory cache, bool strict)
        private
        returns (uint8)
    {
        uint8 kind = d.kind;
        if (kind != ADJUST && kind != LIQUIDATE) {
            if (strict) revert WrongKind(ADJUST, kind);
            return uint8(SkipReason.WrongKind);
        }
        StoredPosition storage p = _positions[d.positionId];
        StoredMarket storage m = _markets[d.marketId];
        uint8 reason = _checkCommon(d, p, m, cache, strict);
        if (reason == 0) {
            reason = kind == ADJUST ? _adjust(d, p, m, digest, strict) : _liquidate(d, p, m, digest, cache, strict);
        }
        if (reason == 0) _touch(m);
        return reason;
    }

    function _adjust(
        RiskDecision calldata d,
        StoredPosition storage p,
        StoredMarket storage m,
        bytes32 digest,
        bool strict
    ) private returns (uint8) {
        if (!_adjustInBounds(d, m, _effectiveMargin(p), strict)) return uint8(SkipReason.RiskBounds);
        (uint16 maintenance, uint16 pending, uint32 margin, uint64 effectiveAt) =
            _nextMargin(p, m, d.maintenanceMarginBps);
        // _adjustInBounds held the cap to the market's (16 bits); _checkCommon found the signed version equal to the
        // stored one (32 bits), so it stands in for a second read of the slot.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint32 version = uint32(d.positionVersion) + 1;
        // forge-lint: disable-next-line(unsafe-typecast)
        _writeTerms(p, maintenance, pending, uint16(d.maxLeverageX100), d.riskScoreBps, version);
        emit RiskUpdated(d.positionId, digest, d.maxLeverageX100, margin, d.riskScoreBps, effectiveAt);
        return 0;
    }

    /// @dev Where an ADJUST moves the maintenance margin to `target` (bounds checked): loosening at once, tightening
    ///      after the grace period (its date written here). Returns the margin in force and the pending one to store,
    ///      and the margin the event reports with when it takes effect.
    function _nextMargin(StoredPosition storage p, StoredMarket storage m, uint32 target)
        private
        returns (uint16 maintenance, uint16 pendingNext, uint32 reported, uint64 effectiveAt)
    {
        uint16 pending = p.pendingMarginBps;
        uint40 pendingFrom = pending != 0 ? p.pendingFrom : 0;
        bool waiting = pending != 0 && block.timestamp < pendingFrom;
        uint32 current = pending != 0 && !waiting ? pending : p.maintenanceMarginBps;
        effectiveAt = uint64(block.timestamp);
        // The bounds hold target and current to at most 10000 bps, so both fit 16 bits.
        // forge-lint: disable-start(unsafe-typecast)
        if (target > current && m.tighteningGrace != 0) {
            // Tightening waits out the grace period so the trader can top up; the old margin stays in force. The
            // same tightening signed again keeps its date: re-signing must not postpone it.
            if (waiting && pending == target) {
                effectiveAt = pendingFrom;
            } else {
                effectiveAt += m.tighteningGrace;
                p.pendingFrom = uint40(effectiveAt);
            }
            return (uint16(current), uint16(target), target, effectiveAt);
        } else if (target == current && waiting) {
            // An unchanged margin keeps the tightening that waits in its grace period.
            return (p.maintenanceMarginBps, pending, pending, pendingFrom);
        }
        return (uint16(target), 0, target, effectiveAt);
        // forge-lint: disable-end(unsafe-typecast)
    }

    /// @dev Writes an ADJUST's terms (slot 2 of the position: the entry price kept, the cap, both margins, the risk
    ///      score, the version, the last change) with one SSTORE. Field by field, the code generator reads and writes
    ///      the slot once per field, about 200 gas each; StoredPosition's layout above is what the shifts follow.
    function _writeTerms(
        StoredPosition storage p,
        uint16 maintenance,
        uint16 pending,
        uint16 maxLeverage,
        uint16 riskScore,
        uint32 version
    ) private {
        uint256 word = uint256(p.entryPriceE18) | (uint256(maxLeverage) << 128) | (uint256(maintenance) << 144)
            | (uint256(pending) << 160) | (uint256(riskScore) << 176) | (uint256(version) << 192)
            | (uint256(_now32()) << 224);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            sstore(add(p.slot, 2), word)
        }
    }

    /// @dev The ADJUST's cap, margin bounds, margin step (from the margin in force) and risk score.
    function _adjustInBounds(RiskDecision calldata d, StoredMarket storage m, uint32 current, bool strict)
        private
        view
        returns (bool)
    {
        uint32 target = d.maintenanceMarginBps;
        uint32 cap = d.maxLeverageX100;
        uint32 step = target > current ? target - current : current - target;
        // One slot's fields read together, before any branch: the optimizer then loads the slot once.
        (uint16 maxLeverage, uint16 minMargin, uint16 maxMargin, uint16 maxStep) =
            (m.maxLeverageX100, m.minMaintenanceMarginBps, m.maxMaintenanceMarginBps, m.maxMarginStepBps);
        bool bad =
            cap > maxLeverage || target < minMargin || target > maxMargin || step > maxStep || d.riskScoreBps > BPS;
        if (!bad) return true;
        if (!strict) return false;
        if (cap > m.maxLeverageX100) revert DecisionCapAboveMarketCap(cap, m.maxLeverageX100);
        if (target < m.minMaintenanceMarginBps || target > m.maxMaintenanceMarginBps) {
            revert MarginOutOfBounds(target, m.minMaintenanceMarginBps, m.maxMaintenanceMarginBps);
        }
        if (step > m.maxMarginStepBps) revert MarginStepTooLarge(current, target, m.maxMarginStepBps);
        revert RiskScoreOutOfRange(d.riskScoreBps);
    }

    function _liquidate(
        RiskDecision calldata d,
        StoredPosition storage p,
        StoredMarket storage m,
        bytes32 digest,
        TxCache memory cache,
        bool strict
    ) private returns (uint8) {
        if (d.closeFactorBps == 0 || d.closeFactorBps > BPS) {
            if (strict) revert CloseFactorOutOfRange(d.closeFactorBps);
            return uint8(SkipReason.RiskBounds);
        }
        // Health on the collateral of the moment: a top-up since the decision was signed counts.
        (int256 equity, uint256 required, uint256 fee, int256 pnl) = _health(p, m, d.markPriceE18);
        if (equity >= SafeCast.toInt256(required)) {
            if (strict) revert NotLiquidatable(d.positionId, equity, required);
            return uint8(SkipReason.NotLiquidatable);
        }
        if (d.closeFactorBps < BPS) {
            (bool done, uint8 reason) = _liquidatePartial(d, p, m, equity, digest, cache, strict);
            if (done) return reason;
        }
        return _liquidateFull(d, p, m, pnl, fee, digest, cache, strict);
    }

    /// @dev `pnl` and `fee` are the whole position's, as the health check computed them.
    function _liquidateFull(
        RiskDecision calldata d,
        StoredPosition storage p,
        StoredMarket storage m,
        int256 pnl,
        uint256 fee,
        bytes32 digest,
        TxCache memory cache,
        bool strict
    ) private returns (uint8) {
        uint256 size = p.size;
        Settlement memory r = _settleFull(
            d.positionId, p, m, pnl, fee, size * m.liquidationPenaltyBps / BPS, uint8(Status.Liquidated), cache
        );
        if (!r.ok) {
            if (strict) revert InsufficientLiquidity(SafeCast.toUint256(pnl), _acct.vault);
            return uint8(SkipReason.InsufficientLiquidity);
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        emit PositionLiquidated(d.positionId, digest, uint128(size), pnl, r.penalty, r.badDebt);
        if (r.fee != 0) emit BorrowFeeCharged(d.positionId, r.fee);
        // What is left of the equity after the penalty is the trader's: isolated margin takes no more than it must.
        _pay(d.positionId, p.trader, r.payout);
        return 0;
    }

    /// @dev Closes `closeFactorBps` of the size and keeps the rest open; the whole position's borrow fee is charged.
    ///      Returns done = false when the part rounds to zero or what stays open would not keep positive equity after
    ///      the penalty (a bankrupt remainder would only grow the bad debt), so the caller liquidates it whole.
    function _liquidatePartial(
        RiskDecision calldata d,
        StoredPosition storage p,
        StoredMarket storage m,
        int256 equity,
        bytes32 digest,
        TxCache memory cache,
        bool strict
    ) private returns (bool done, uint8 reason) {
        uint256 sizeClosed = uint256(p.size) * d.closeFactorBps / BPS;
        uint256 penalty = sizeClosed * m.liquidationPenaltyBps / BPS;
        if (sizeClosed == 0 || equity <= SafeCast.toInt256(penalty)) return (false, 0);
        int256 pnl = PositionMath.pnl(p.isLong, sizeClosed, p.entryPriceE18, d.markPriceE18);
        uint256 fee = _accruedFee(p, m);
        uint128 collateral = p.collateral;
        uint128 after_;
        {
            int256 remaining = int256(uint256(collateral)) + pnl - SafeCast.toInt256(penalty + fee);
            if (remaining <= 0) return (false, 0);
            after_ = SafeCast.toUint128(SafeCast.toUint256(remaining));
        }
        // The vault pays the closed part's profit or takes its loss, and takes the fee.
        if (!_moveVault(SafeCast.toInt256(fee) - pnl, cache, strict)) {
            return (true, uint8(SkipReason.InsufficientLiquidity));
        }
        p.collateral = after_;
        // forge-lint: disable-start(unsafe-typecast)
        p.size -= uint128(sizeClosed);
        if (fee != 0) p.borrowIndex = _borrowIndexNow(m);
        p.version += 1;
        p.lastChange = _now32();
        _acct.totalCollateral = _acct.totalCollateral - collateral + after_;
        _acct.insurance += uint128(penalty);
        _reduceOpenInterest(m, p.isLong, sizeClosed);
        emit PositionLiquidated(d.positionId, digest, uint128(sizeClosed), pnl, uint128(penalty), 0);
        if (fee != 0) emit BorrowFeeCharged(d.positionId, uint128(fee));
        // forge-lint: disable-end(unsafe-typecast)
        return (true, 0);
    }

    /// @dev Adds `delta` to the vault; false (strict: a revert) when the vault holds less than a negative delta.
    function _moveVault(int256 delta, TxCache memory cache, bool strict) private view returns (bool) {
        if (delta < 0) {
            uint256 owed = SafeCast.toUint256(-delta);
            uint256 vault = _vaultNow(cache);
            if (owed > vault) {
                if (strict) revert InsufficientLiquidity(owed, vault);
                return false;
            }
        }
        cache.vaultDelta += delta;
        return true;
    }

    /// @dev The vault with this transaction's unwritten changes.
    function _vaultNow(TxCache memory cache) private view returns (uint256) {
        return SafeCast.toUint256(SafeCast.toInt256(_acct.vault) + cache.vaultDelta);
    }

    /// @dev Writes the books' changes the transaction's settlements kept in `cache`.
    function _flush(TxCache memory cache) private {
        if (cache.collateralReleased != 0) {
            _acct.totalCollateral = SafeCast.toUint128(_acct.totalCollateral - cache.collateralReleased);
        }
        if (cache.vaultDelta != 0) _acct.vault = _plus(_acct.vault, cache.vaultDelta);
        if (cache.insuranceDelta != 0) _acct.insurance = _plus(_acct.insurance, cache.insuranceDelta);
        if (cache.badDebtAdded != 0) _acct.badDebt = SafeCast.toUint128(_acct.badDebt + cache.badDebtAdded);
    }

    function _plus(uint128 value, int256 delta) private pure returns (uint128) {
        return SafeCast.toUint128(SafeCast.toUint256(SafeCast.toInt256(value) + delta));
    }

    /// @dev Ends a position. The borrow fee comes out of the equity first (an unpaid fee is not bad debt), then the
    ///      penalty (capped at what is left) goes to the insurance fund, the trader gets the rest, and the vault takes
    ///      what remains of the collateral or pays the profit. A loss beyond collateral is bad debt: the insurance
    ///      fund makes the vault whole as far as it can, the vault absorbs the rest. Returns ok = false, changing
    ///      nothing, when the vault cannot pay the profit. The version is not bumped (one storage write less per
    ///      liquidation): the status ends the position, so no decision can apply to it again.
    function _settleFull(
        bytes32 positionId,
        StoredPosition storage p,
        StoredMarket storage m,
        int256 pnl,
        uint256 fee,
        uint256 penaltyNominal,
        uint8 finalStatus,
        TxCache memory cache
    ) private returns (Settlement memory r) {
        uint128 collateral = p.collateral;
        int256 equity = int256(uint256(collateral)) + pnl;
        int256 vaultIn; // what the vault gains; negative: the profit it pays
        if (equity <= 0) {
            r.badDebt = SafeCast.toUint128(SafeCast.toUint256(-equity));
            vaultIn = int256(uint256(collateral));
        } else {
            uint256 eq = SafeCast.toUint256(equity);
            r.fee = SafeCast.toUint128(fee < eq ? fee : eq);
            eq -= r.fee;
            r.penalty = SafeCast.toUint128(penaltyNominal < eq ? penaltyNominal : eq);
            r.payout = SafeCast.toUint128(eq - r.penalty);
            // The vault keeps collateral − payout − penalty, or pays the difference (the trader's profit).
            uint256 out = uint256(r.payout) + r.penalty;
            if (out > collateral) {
                uint256 profit = out - collateral;
                if (profit > _vaultNow(cache)) return r; // r.ok is false
                // Both are below 2^128.
                // forge-lint: disable-next-line(unsafe-typecast)
                vaultIn = -int256(profit);
            } else {
                // forge-lint: disable-next-line(unsafe-typecast)
                vaultIn = int256(collateral - out);
            }
        }
        bool isLong = p.isLong;
        uint256 size = p.size;
        p.status = finalStatus;
        _clearAmounts(p);
        _reduceOpenInterest(m, isLong, size);
        cache.collateralReleased += collateral;
        cache.vaultDelta += vaultIn;
        _book(positionId, cache, r.penalty, r.badDebt);
        r.ok = true;
    }

    /// @dev Zeroes collateral and size (slot 1 of the position, see StoredPosition) with one SSTORE instead of a
    ///      read and a write per field.
    function _clearAmounts(StoredPosition storage p) private {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            sstore(add(p.slot, 1), 0)
        }
    }

    /// @dev Adds the penalty to the insurance fund, which then covers what it can of the bad debt (kept in `cache`).
    function _book(bytes32 positionId, TxCache memory cache, uint128 penalty, uint128 badDebt) private {
        int256 insuranceDelta = cache.insuranceDelta + int256(uint256(penalty));
        if (badDebt != 0) {
            uint256 insurance = SafeCast.toUint256(SafeCast.toInt256(_acct.insurance) + insuranceDelta);
            // forge-lint: disable-next-line(unsafe-typecast)
            uint128 fromInsurance = badDebt < insurance ? badDebt : uint128(insurance); // below badDebt
            insuranceDelta -= int256(uint256(fromInsurance));
            cache.vaultDelta += int256(uint256(fromInsurance));
            cache.badDebtAdded += badDebt;
            emit BadDebtCovered(positionId, fromInsurance, badDebt - fromInsurance);
        }
        cache.insuranceDelta = insuranceDelta;
    }

    /// @dev At `price`: equity (collateral + pnl − accrued borrow fee), the maintenance requirement in force, the fee
    ///      and the pnl.
    function _health(StoredPosition storage p, StoredMarket storage m, uint256 price)
        private
        view
        returns (int256 equity, uint256 required, uint256 fee, int256 pnl)
    {
        (uint256 size, uint256 collateral) = (p.size, p.collateral); // one slot, loaded once
        fee = _accruedFee(p, m);
        pnl = PositionMath.pnl(p.isLong, size, p.entryPriceE18, price);
        equity = SafeCast.toInt256(collateral) + pnl - SafeCast.toInt256(fee);
        required = PositionMath.requirement(size, _effectiveMargin(p));
    }

    /// @dev size × (market index − position index) / 864e6, rounded down.
    function _accruedFee(StoredPosition storage p, StoredMarket storage m) private view returns (uint256) {
        // One slot's fields read together: the optimizer loads it once.
        (uint256 rate, uint256 index, uint256 since) = (m.borrowRateBpsPerDay, m.borrowIndex, m.borrowIndexTime);
        uint256 positionIndex = p.borrowIndex;
        if (rate == 0 && index == positionIndex) return 0;
        return uint256(p.size) * (_indexAt(index, rate, since) - positionIndex) / FEE_DENOMINATOR;
    }

    /// @dev The market's borrow index now.
    function _borrowIndexNow(StoredMarket storage m) private view returns (uint56) {
        (uint256 rate, uint256 index, uint256 since) = (m.borrowRateBpsPerDay, m.borrowIndex, m.borrowIndexTime);
        return _indexAt(index, rate, since);
    }

    /// @dev The checkpoint plus rate × seconds since (fits 56 bits for 200,000 years at the highest rate, 10000 bps
    ///      per day).
    function _indexAt(uint256 index, uint256 rate, uint256 since) private view returns (uint56) {
        return SafeCast.toUint56(index + rate * (block.timestamp - since));
    }

    function _addOpenInterest(StoredMarket storage m, bytes32 marketId, bool isLong, uint128 size) private {
        uint128 cap = isLong ? m.maxOpenInterestLong : m.maxOpenInterestShort;
        uint256 oi = uint256(isLong ? m.openInterestLong : m.openInterestShort) + size;
        if (cap != 0 && oi > cap) revert OpenInterestCapExceeded(marketId, isLong, oi, cap);
        uint128 next = SafeCast.toUint128(oi);
        if (isLong) m.openInterestLong = next;
        else m.openInterestShort = next;
    }

    function _reduceOpenInterest(StoredMarket storage m, bool isLong, uint256 size) private {
        // forge-lint: disable-start(unsafe-typecast)
        if (isLong) m.openInterestLong -= uint128(size);
        else m.openInterestShort -= uint128(size);
        // forge-lint: disable-end(unsafe-typecast)
    }

    /// @dev Refreshes the market's liveness stamp, at most every timeout/16 seconds: a write per decision would
    ///      cost every ADJUST a storage write for a stamp that only needs to be that precise (see
    ///      emergencyCloseAvailableAt).
    function _touch(StoredMarket storage m) private {
        uint32 timeout = m.livenessTimeout;
        if (timeout == 0) return;
        uint32 last = m.lastDecisionAt;
        if (block.timestamp - last >= timeout / 16) m.lastDecisionAt = _now32();
    }

    /// @dev When emergencyClose opens on the market (0: never).
    function _emergencyAt(StoredMarket storage m) private view returns (uint64) {
        uint64 timeout = m.livenessTimeout;
        if (timeout == 0) return 0;
        uint64 at = uint64(m.lastDecisionAt) + timeout + timeout / 16;
        if (_halted) {
            uint64 haltAt = uint64(_haltedAt) + timeout;
            if (haltAt < at) at = haltAt;
        }
        return at;
    }

    function _effectiveMargin(StoredPosition storage p) private view returns (uint32) {
        uint16 pending = p.pendingMarginBps;
        return pending != 0 && block.timestamp >= p.pendingFrom ? pending : p.maintenanceMarginBps;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Internals: tokens, governance, validation
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Pulls `amount` from `from` and returns what the contract actually gained.
    function _pull(address from, uint128 amount) private returns (uint128) {
        if (_pulling) revert ReentrantTransfer();
        _pulling = true;
        uint256 before = COLLATERAL_TOKEN.balanceOf(address(this));
        COLLATERAL_TOKEN.safeTransferFrom(from, address(this), amount);
        uint256 received = COLLATERAL_TOKEN.balanceOf(address(this)) - before;
        _pulling = false;
        if (received == 0) revert InvalidAmount(0);
        return SafeCast.toUint128(received);
    }

    /// @dev Pays `amount` to `trader`; a transfer the token refuses (a blocklisted receiver) is escrowed instead, so
    ///      one trader's token problem never reverts the oracle path.
    function _pay(bytes32 positionId, address trader, uint128 amount) private {
        if (amount == 0) return;
        if (COLLATERAL_TOKEN.trySafeTransfer(trader, amount)) return;
        _claimable[trader] += amount;
        _acct.claimable += amount;
        emit PayoutEscrowed(positionId, trader, amount);
    }

    /// @dev Whether a governance call applies now: always while executing its queued op, with no delay, or when it
    ///      only tightens; otherwise its calldata is queued and it returns false.
    function _applyNow(bool tightening) private returns (bool) {
        if (_executingOp) return true;
        uint64 delay = _governanceDelay;
        if (delay == 0 || tightening) return true;
        uint64 nonce = _governanceNonce;
        _governanceNonce = nonce + 1;
        bytes32 opId = keccak256(abi.encode(nonce, msg.data));
        uint64 eta = uint64(block.timestamp) + delay;
        _ops[opId] = GovernanceOp({eta: eta, data: msg.data});
        emit GovernanceQueued(opId, eta, msg.data);
        return false;
    }

    /// @dev Zero means "off" (no limit), so it is the loosest value.
    function _noLooser(uint256 next, uint256 current) private pure returns (bool) {
        return current == 0 || (next != 0 && next <= current);
    }

    /// @dev Timestamps fit 32 bits until the year 2106.
    function _now32() private view returns (uint32) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint32(block.timestamp);
    }

    function _verifyQuorum(bytes32 digest, Quorum calldata q) private view {
        QuorumLib.verify(digest, q, _signerData, _signerCount, _threshold);
    }

    function _useNonce(uint64 batchNonce) private {
        uint256 word = batchNonce >> 8;
        uint256 bit = 1 << (batchNonce & 0xff);
        uint256 bits = _usedNonces[word];
        if (bits & bit != 0) revert BatchNonceUsed(batchNonce);
        _usedNonces[word] = bits | bit;
    }

    /// @dev A strict majority of one to MAX_SIGNERS distinct, non-zero signers.
    function _validateSigners(address[] memory list, uint8 threshold_) private pure {
        uint256 n = list.length;
        if (n == 0 || n > MAX_SIGNERS || threshold_ == 0 || threshold_ > n || 2 * uint256(threshold_) <= n) {
            revert InvalidSignerSet(n, threshold_);
        }
        for (uint256 i; i < n; ++i) {
            address s = list[i];
            if (s == address(0)) revert ZeroSigner(i);
            for (uint256 j; j < i; ++j) {
                if (list[j] == s) revert DuplicateSigner(s);
            }
        }
    }

    /// @dev Stores a set `_validateSigners` accepted.
    function _writeSigners(address[] memory list, uint8 threshold_) private {
        uint256 n = list.length;
        _signerData = SignerSet.write(list);
        _threshold = threshold_;
        // forge-lint: disable-next-line(unsafe-typecast)
        _signerCount = uint8(n);
        emit SignersUpdated(list, threshold_);
    }

    function _validateMarket(bytes32 marketId, MarketConfig calldata cfg) private pure {
        if (marketId == bytes32(0)) revert InvalidMarketConfig(marketId, "marketId");
        if (cfg.maxLeverageX100 < 100 || cfg.maxLeverageX100 > type(uint16).max) {
            revert InvalidMarketConfig(marketId, "maxLeverageX100");
        }
        if (cfg.minMaintenanceMarginBps == 0) revert InvalidMarketConfig(marketId, "minMaintenanceMarginBps");
        if (cfg.maxMaintenanceMarginBps < cfg.minMaintenanceMarginBps || cfg.maxMaintenanceMarginBps > BPS) {
            revert InvalidMarketConfig(marketId, "maxMaintenanceMarginBps");
        }
        if (cfg.maxMarginStepBps > BPS) revert InvalidMarketConfig(marketId, "maxMarginStepBps");
        if (cfg.liquidationPenaltyBps > BPS) revert InvalidMarketConfig(marketId, "liquidationPenaltyBps");
        if (cfg.maxPriceAge == 0 || cfg.maxPriceAge > type(uint32).max) {
            revert InvalidMarketConfig(marketId, "maxPriceAge");
        }
        if (cfg.tighteningGrace > type(uint32).max) revert InvalidMarketConfig(marketId, "tighteningGrace");
    }

    /// @dev Checks the limits against their storage widths and reads the feed's decimals.
    function _validateLimits(bytes32 marketId, MarketLimits calldata limits) private view returns (uint8 decimals_) {
        if (limits.maxFeedDeviationBps > BPS) revert InvalidMarketLimits(marketId, "maxFeedDeviationBps");
        if (limits.maxFeedAge > type(uint32).max) revert InvalidMarketLimits(marketId, "maxFeedAge");
        if (limits.maxDecisionTtl > type(uint32).max) revert InvalidMarketLimits(marketId, "maxDecisionTtl");
        if (limits.borrowRateBpsPerDay > BPS) revert InvalidMarketLimits(marketId, "borrowRateBpsPerDay");
        if (limits.oracleLivenessTimeout > type(uint32).max) {
            revert InvalidMarketLimits(marketId, "oracleLivenessTimeout");
        }
        if (limits.priceFeed == address(0)) {
            // The guard and the emergency exit both need a feed.
            if (limits.maxFeedDeviationBps != 0) revert InvalidMarketLimits(marketId, "priceFeed");
            return 0;
        }
        // A call to an address without code reverts outside the try: check it first.
        if (limits.priceFeed.code.length == 0) revert InvalidMarketLimits(marketId, "priceFeed");
        try IPriceFeed(limits.priceFeed).decimals() returns (uint8 d) {
            decimals_ = d;
        } catch {
            revert InvalidMarketLimits(marketId, "priceFeed");
        }
        if (decimals_ > 36) revert InvalidMarketLimits(marketId, "priceFeed");
    }

    function _amount128(uint256 amount) private pure returns (uint128) {
        if (amount == 0 || amount > type(uint128).max) revert InvalidAmount(amount);
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint128(amount);
    }

    function _onlyAdmin() private view {
        // A queued governance call runs with this contract as the caller, from executeGovernance only.
        if (msg.sender != _admin && !(msg.sender == address(this) && _executingOp)) revert NotAdmin(msg.sender);
    }

    function _onlyGuardianOrAdmin() private view {
        if (msg.sender != _guardian && msg.sender != _admin) revert NotGuardian(msg.sender);
    }
}
