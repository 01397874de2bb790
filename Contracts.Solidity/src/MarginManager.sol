// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IMarginManager} from "./interfaces/IMarginManager.sol";
import {DecisionHash} from "./libraries/DecisionHash.sol";
import {PositionMath} from "./libraries/PositionMath.sol";
import {QuorumLib} from "./libraries/QuorumLib.sol";
import {SignerSet} from "./libraries/SignerSet.sol";

/// @title MarginManager
/// @notice Isolated-margin positions governed by M-of-N signed AI risk decisions. The liquidity vault is the
///         counterparty of every position; the insurance fund pays bad debt first. See README.md for the design.
/// @dev Storage is packed so that an OPEN writes three new slots and the oracle path touches two or three warm
///      ones: MegaETH charges for storage, and the batch path applies up to hundreds of decisions per transaction.
contract MarginManager is IMarginManager, EIP712 {
    using SafeERC20 for IERC20;

    /// @dev A position as stored: 4 slots (the last only while a tighter margin waits for its grace period).
    struct StoredPosition {
        // slot 0
        address trader;
        bool isLong;
        uint8 status;
        bool frozen;
        uint32 marketIndex;
        uint40 lastChange;
        // slot 1
        uint128 collateral;
        uint128 size;
        // slot 2: version is 48 bits here (2.8e14 changes); it is returned as uint64
        uint128 entryPriceE18;
        uint32 maxLeverageX100;
        uint32 maintenanceMarginBps;
        uint16 riskScoreBps;
        uint48 version;
        // slot 3
        uint32 pendingMarginBps;
        uint40 pendingFrom;
    }

    /// @dev A market as stored: everything but the grace period in one slot (maxPriceAge is capped to 32 bits).
    struct StoredMarket {
        bool listed;
        uint8 mode;
        uint32 index;
        uint32 maxLeverageX100;
        uint32 minMaintenanceMarginBps;
        uint32 maxMaintenanceMarginBps;
        uint32 maxMarginStepBps;
        uint32 liquidationPenaltyBps;
        uint32 maxPriceAge;
        uint64 tighteningGrace;
    }

    /// @dev The books, two slots: collateral and vault move together on every settlement.
    struct Accounts {
        uint128 totalCollateral;
        uint128 vault;
        uint128 insurance;
        uint128 badDebt;
    }

    uint256 private constant BPS = 10_000;
    uint256 private constant MAX_SIGNERS = 32;
    uint8 private constant OPEN = uint8(Kind.Open);
    uint8 private constant ADJUST = uint8(Kind.Adjust);
    uint8 private constant LIQUIDATE = uint8(Kind.Liquidate);
    uint8 private constant CLOSE = uint8(Kind.Close);
    uint8 private constant STATUS_OPEN = uint8(Status.Open);
    uint8 private constant MODE_ACTIVE = uint8(MarketMode.Active);
    uint8 private constant MODE_FROZEN = uint8(MarketMode.Frozen);

    IERC20 private immutable COLLATERAL_TOKEN;

    // One slot read by every guarded call: where the signer list lives (see SignerSet), its size and threshold,
    // and whether the system is halted.
    address private _signerData;
    uint8 private _threshold;
    uint8 private _signerCount;
    bool private _halted;

    address private _admin;
    address private _guardian;
    address private _pendingAdmin;

    // Where every token the contract holds belongs: balanceOf(this) == totalCollateral + vault + insurance.
    Accounts private _acct;

    mapping(bytes32 positionId => StoredPosition) private _positions;
    mapping(bytes32 marketId => StoredMarket) private _markets;
    bytes32[] private _marketIds;
    mapping(bytes32 modelHash => bool) private _models;
    // Bitmap of used batch nonces: sequential nonces share a slot, 256 batches per new slot.
    mapping(uint256 word => uint256 bits) private _usedNonces;

    /// @param collateralToken_ The collateral ERC-20.
    /// @param admin_ Governance: markets, signers, models, resume, liquidity withdrawals.
    /// @param guardian_ May halt, restrict market modes and freeze positions.
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
        _setSigners(signers_, threshold_);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Traders
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IMarginManager
    function openPosition(RiskDecision calldata d, Quorum calldata q) external returns (bytes32) {
        if (msg.sender != d.trader) revert NotTrader(msg.sender, d.trader);
        return _open(d, q, _hashTypedDataV4(DecisionHash.hashDecision(d)));
    }

    /// @inheritdoc IMarginManager
    function openPositionFor(RiskDecision calldata d, Quorum calldata q, bytes calldata traderSig)
        external
        returns (bytes32)
    {
        bytes32 digest = _hashTypedDataV4(DecisionHash.hashDecision(d));
        if (!SignatureChecker.isValidSignatureNowCalldata(d.trader, digest, traderSig)) {
            revert InvalidTraderSignature(d.trader);
        }
        return _open(d, q, digest);
    }

    /// @inheritdoc IMarginManager
    function addCollateral(bytes32 positionId, uint128 amount) external {
        if (amount == 0) revert InvalidAmount(0);
        StoredPosition storage p = _positions[positionId];
        if (p.status != STATUS_OPEN) revert PositionNotOpen(positionId, p.status);
        uint128 collateral = p.collateral + amount;
        uint48 version = p.version + 1;
        p.collateral = collateral;
        p.version = version;
        p.lastChange = _now40();
        _acct.totalCollateral += amount;
        emit CollateralAdded(positionId, msg.sender, amount, collateral, version);
        COLLATERAL_TOKEN.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IMarginManager
    function closePosition(RiskDecision calldata d, Quorum calldata q) external {
        if (_halted) revert SystemHalted();
        if (d.kind != CLOSE) revert WrongKind(CLOSE, d.kind);
        StoredPosition storage p = _positions[d.positionId];
        _checkCommon(d, p, _markets[d.marketId], true); // strict: reverts with the reason
        if (msg.sender != p.trader) revert NotTrader(msg.sender, p.trader);
        bytes32 digest = _hashTypedDataV4(DecisionHash.hashDecision(d));
        _verifyQuorum(digest, q);

        int256 pnl = PositionMath.pnl(p.isLong, p.size, p.entryPriceE18, d.markPriceE18);
        (bool ok, uint128 payout,, uint128 badDebt) = _settleFull(d.positionId, p, pnl, 0, uint8(Status.Closed));
        if (!ok) revert InsufficientLiquidity(SafeCast.toUint256(pnl), _acct.vault);
        emit PositionClosed(d.positionId, digest, pnl, payout, badDebt);
        if (payout != 0) COLLATERAL_TOKEN.safeTransfer(p.trader, payout);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Oracle path
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IMarginManager
    function applyDecision(RiskDecision calldata d, Quorum calldata q) external {
        if (_halted) revert SystemHalted();
        bytes32 digest = _hashTypedDataV4(DecisionHash.hashDecision(d));
        _verifyQuorum(digest, q);
        _applyOne(d, digest, true);
    }

    /// @inheritdoc IMarginManager
    function applyDecisions(uint64 batchNonce, uint64 validUntil, RiskDecision[] calldata ds, Quorum calldata q)
        external
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
        for (uint256 i; i < n; ++i) {
            // Each item's events carry the digest the engine computes for that decision on its own.
            bytes32 digest = MessageHashUtils.toTypedDataHash(domain, structHashes[i]);
            uint8 reason = _applyOne(ds[i], digest, false);
            if (reason == 0) {
                ++appliedCount;
            } else {
                emit DecisionSkipped(ds[i].positionId, reason, digest);
            }
        }
        emit BatchApplied(batchNonce, batchHash, appliedCount, n - appliedCount);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Liquidity
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IMarginManager
    function depositLiquidity(uint256 amount) external {
        _acct.vault += _amount128(amount);
        emit LiquidityDeposited(msg.sender, amount);
        COLLATERAL_TOKEN.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IMarginManager
    function withdrawLiquidity(uint256 amount) external {
        _onlyAdmin();
        uint128 a = _amount128(amount);
        uint128 vault = _acct.vault;
        if (a > vault) revert InsufficientLiquidity(amount, vault);
        _acct.vault = vault - a;
        emit LiquidityWithdrawn(msg.sender, amount);
        COLLATERAL_TOKEN.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IMarginManager
    function fundInsurance(uint256 amount) external {
        _acct.insurance += _amount128(amount);
        emit InsuranceFunded(msg.sender, amount);
        COLLATERAL_TOKEN.safeTransferFrom(msg.sender, address(this), amount);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Governance and failsafes
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IMarginManager
    function setMarket(bytes32 marketId, MarketConfig calldata cfg) external {
        _onlyAdmin();
        _validateMarket(marketId, cfg);
        StoredMarket storage m = _markets[marketId];
        if (m.maxLeverageX100 == 0) {
            // First listing: a configured market always has a non-zero leverage cap.
            m.index = SafeCast.toUint32(_marketIds.length);
            _marketIds.push(marketId);
        }
        m.listed = cfg.listed;
        m.maxLeverageX100 = cfg.maxLeverageX100;
        m.minMaintenanceMarginBps = cfg.minMaintenanceMarginBps;
        m.maxMaintenanceMarginBps = cfg.maxMaintenanceMarginBps;
        m.maxMarginStepBps = cfg.maxMarginStepBps;
        m.liquidationPenaltyBps = cfg.liquidationPenaltyBps;
        m.maxPriceAge = uint32(cfg.maxPriceAge);
        m.tighteningGrace = cfg.tighteningGrace;
        emit MarketSet(marketId, cfg);
    }

    /// @inheritdoc IMarginManager
    function setSigners(address[] calldata newSigners, uint8 newThreshold) external {
        _onlyAdmin();
        _setSigners(newSigners, newThreshold);
    }

    /// @inheritdoc IMarginManager
    function setModel(bytes32 modelHash, bool allowed) external {
        _onlyAdmin();
        if (modelHash == bytes32(0)) revert ZeroModelHash();
        _models[modelHash] = allowed;
        emit ModelUpdated(modelHash, allowed);
    }

    /// @inheritdoc IMarginManager
    function halt() external {
        _onlyGuardianOrAdmin();
        _halted = true;
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
        p.lastChange = _now40();
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
        if (p.pendingFrom > block.timestamp) return (p.pendingMarginBps, p.pendingFrom);
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
        int256 equity =
            int256(uint256(p.collateral)) + PositionMath.pnl(p.isLong, p.size, p.entryPriceE18, markPriceE18);
        return equity < int256(PositionMath.requirement(p.size, _effectiveMargin(p)));
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
    // Version 2 (surface only in this commit)
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Only while the version 2 surface is being implemented.
    error NotImplemented();

    /// @inheritdoc IMarginManager
    function emergencyClose(bytes32) external pure {
        revert NotImplemented();
    }

    /// @inheritdoc IMarginManager
    function claim(address) external pure returns (uint128) {
        revert NotImplemented();
    }

    /// @inheritdoc IMarginManager
    function setMarketLimits(bytes32, MarketLimits calldata) external pure {
        revert NotImplemented();
    }

    /// @inheritdoc IMarginManager
    function setGovernanceDelay(uint64) external pure {
        revert NotImplemented();
    }

    /// @inheritdoc IMarginManager
    function executeGovernance(bytes32) external pure {
        revert NotImplemented();
    }

    /// @inheritdoc IMarginManager
    function cancelGovernance(bytes32) external pure {
        revert NotImplemented();
    }

    /// @inheritdoc IMarginManager
    function getMarketLimits(bytes32) external pure returns (MarketLimits memory limits) {
        return limits;
    }

    /// @inheritdoc IMarginManager
    function openInterest(bytes32) external pure returns (uint128, uint128) {
        return (0, 0);
    }

    /// @inheritdoc IMarginManager
    function accruedBorrowFee(bytes32) external pure returns (uint128) {
        return 0;
    }

    /// @inheritdoc IMarginManager
    function borrowIndex(bytes32) external pure returns (uint64, uint64) {
        return (0, 0);
    }

    /// @inheritdoc IMarginManager
    function emergencyCloseAvailableAt(bytes32) external pure returns (uint64) {
        return 0;
    }

    /// @inheritdoc IMarginManager
    function claimable(address) external pure returns (uint128) {
        return 0;
    }

    /// @inheritdoc IMarginManager
    function totalClaimable() external pure returns (uint128) {
        return 0;
    }

    /// @inheritdoc IMarginManager
    function governanceDelay() external pure returns (uint64) {
        return 0;
    }

    /// @inheritdoc IMarginManager
    function governanceOp(bytes32) external pure returns (uint64, bytes memory) {
        return (0, "");
    }

    /// @inheritdoc IMarginManager
    function governanceNonce() external pure returns (uint64) {
        return 0;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Internals
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
        _checkPrice(d.markPriceE18, d.priceTimestamp, m.maxPriceAge, 0, true);
        StoredPosition storage p = _positions[d.positionId];
        if (p.status != 0) revert PositionExists(d.positionId);
        _checkOpenBounds(d, m);
        _verifyQuorum(digest, q);

        p.trader = d.trader;
        p.isLong = d.isLong;
        p.status = STATUS_OPEN;
        p.marketIndex = m.index;
        p.lastChange = _now40();
        p.collateral = d.collateral;
        p.size = d.size;
        p.entryPriceE18 = d.markPriceE18;
        p.maxLeverageX100 = d.maxLeverageX100;
        p.maintenanceMarginBps = d.maintenanceMarginBps;
        p.riskScoreBps = d.riskScoreBps;
        p.version = 1;
        _acct.totalCollateral += d.collateral;
        emit PositionOpened(d.positionId, digest, d.trader, d.marketId, d.isLong, d.collateral, d.size, d.markPriceE18);
        COLLATERAL_TOKEN.safeTransferFrom(d.trader, address(this), d.collateral);
        return d.positionId;
    }

    function _checkOpenBounds(RiskDecision calldata d, StoredMarket storage m) private view {
        uint256 collateral = d.collateral;
        uint256 size = d.size;
        if (collateral == 0 || size == 0) revert ZeroPositionAmount();
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
    function _checkCommon(RiskDecision calldata d, StoredPosition storage p, StoredMarket storage m, bool strict)
        private
        view
        returns (uint8)
    {
        uint8 status = p.status;
        if (status != STATUS_OPEN) {
            if (strict) revert PositionNotOpen(d.positionId, status);
            return uint8(SkipReason.PositionNotOpen);
        }
        if (!m.listed || m.index != p.marketIndex) {
            if (strict) {
                if (!m.listed) revert MarketNotListed(d.marketId);
                revert MarketMismatch(d.positionId, d.marketId);
            }
            return uint8(SkipReason.MarketMismatch);
        }
        if (m.mode == MODE_FROZEN) {
            if (strict) revert MarketModeForbids(d.marketId, MODE_FROZEN);
            return uint8(SkipReason.MarketFrozen);
        }
        if (p.frozen) {
            if (strict) revert PositionIsFrozen(d.positionId);
            return uint8(SkipReason.PositionFrozen);
        }
        uint48 version = p.version;
        if (d.positionVersion != version) {
            if (strict) revert StaleVersion(d.positionId, version, d.positionVersion);
            return uint8(SkipReason.StaleVersion);
        }
        if (block.timestamp > d.validUntil) {
            if (strict) revert DecisionExpired(d.validUntil, block.timestamp);
            return uint8(SkipReason.Expired);
        }
        if (!_models[d.modelHash]) {
            if (strict) revert ModelNotAllowed(d.modelHash);
            return uint8(SkipReason.ModelNotAllowed);
        }
        if (!_checkPrice(d.markPriceE18, d.priceTimestamp, m.maxPriceAge, p.lastChange, strict)) {
            return uint8(SkipReason.BadPrice);
        }
        return 0;
    }

    function _checkPrice(uint128 price, uint64 priceTimestamp, uint32 maxAge, uint40 lastChange, bool strict)
        private
        view
        returns (bool)
    {
        if (price == 0) {
            if (strict) revert ZeroPrice();
            return false;
        }
        // A timestamp slightly ahead of the block is accepted: chain and oracle clocks differ by up to a second.
        if (block.timestamp > priceTimestamp && block.timestamp - priceTimestamp > maxAge) {
            if (strict) revert PriceTooOld(priceTimestamp, maxAge, block.timestamp);
            return false;
        }
        if (priceTimestamp < lastChange) {
            if (strict) revert PriceBeforeLastChange(priceTimestamp, lastChange);
            return false;
        }
        return true;
    }

    function _applyOne(RiskDecision calldata d, bytes32 digest, bool strict) private returns (uint8) {
        uint8 kind = d.kind;
        if (kind != ADJUST && kind != LIQUIDATE) {
            if (strict) revert WrongKind(ADJUST, kind);
            return uint8(SkipReason.WrongKind);
        }
        StoredPosition storage p = _positions[d.positionId];
        StoredMarket storage m = _markets[d.marketId];
        uint8 reason = _checkCommon(d, p, m, strict);
        if (reason != 0) return reason;
        return kind == ADJUST ? _adjust(d, p, m, digest, strict) : _liquidate(d, p, m, digest, strict);
    }

    function _adjust(
        RiskDecision calldata d,
        StoredPosition storage p,
        StoredMarket storage m,
        bytes32 digest,
        bool strict
    ) private returns (uint8) {
        uint32 target = d.maintenanceMarginBps;
        uint32 current = _effectiveMargin(p);
        {
            uint32 cap = d.maxLeverageX100;
            uint32 step = target > current ? target - current : current - target;
            bool bad = cap > m.maxLeverageX100 || target < m.minMaintenanceMarginBps
                || target > m.maxMaintenanceMarginBps || step > m.maxMarginStepBps || d.riskScoreBps > BPS;
            if (bad) {
                if (!strict) return uint8(SkipReason.RiskBounds);
                if (cap > m.maxLeverageX100) revert DecisionCapAboveMarketCap(cap, m.maxLeverageX100);
                if (target < m.minMaintenanceMarginBps || target > m.maxMaintenanceMarginBps) {
                    revert MarginOutOfBounds(target, m.minMaintenanceMarginBps, m.maxMaintenanceMarginBps);
                }
                if (step > m.maxMarginStepBps) revert MarginStepTooLarge(current, target, m.maxMarginStepBps);
                revert RiskScoreOutOfRange(d.riskScoreBps);
            }
        }
        uint64 grace = m.tighteningGrace;
        uint64 effectiveAt = uint64(block.timestamp);
        if (target > current && grace != 0) {
            // Tightening waits out the grace period so the trader can top up; the old margin stays in force.
            effectiveAt += grace;
            p.maintenanceMarginBps = current;
            p.pendingMarginBps = target;
            // forge-lint: disable-next-line(unsafe-typecast)
            p.pendingFrom = uint40(effectiveAt);
        } else {
            p.maintenanceMarginBps = target;
            if (p.pendingFrom != 0) {
                p.pendingMarginBps = 0;
                p.pendingFrom = 0;
            }
        }
        p.maxLeverageX100 = d.maxLeverageX100;
        p.riskScoreBps = d.riskScoreBps;
        p.version += 1;
        p.lastChange = _now40();
        emit RiskUpdated(d.positionId, digest, d.maxLeverageX100, target, d.riskScoreBps, effectiveAt);
        return 0;
    }

    function _liquidate(
        RiskDecision calldata d,
        StoredPosition storage p,
        StoredMarket storage m,
        bytes32 digest,
        bool strict
    ) private returns (uint8) {
        uint32 closeFactor = d.closeFactorBps;
        if (closeFactor == 0 || closeFactor > BPS) {
            if (strict) revert CloseFactorOutOfRange(closeFactor);
            return uint8(SkipReason.RiskBounds);
        }
        uint256 size = p.size;
        int256 pnl = PositionMath.pnl(p.isLong, size, p.entryPriceE18, d.markPriceE18);
        int256 equity = int256(uint256(p.collateral)) + pnl;
        {
            uint256 required = PositionMath.requirement(size, _effectiveMargin(p));
            if (equity >= SafeCast.toInt256(required)) {
                if (strict) revert NotLiquidatable(d.positionId, equity, required);
                return uint8(SkipReason.NotLiquidatable);
            }
        }
        uint256 penaltyBps = m.liquidationPenaltyBps;
        uint256 sizeClosed = size * closeFactor / BPS;
        // A partial close only when what stays open keeps positive equity after the penalty; a bankrupt remainder
        // would only grow the bad debt, so such a position is liquidated whole.
        if (closeFactor < BPS && sizeClosed != 0 && equity > SafeCast.toInt256(sizeClosed * penaltyBps / BPS)) {
            (bool done, uint8 reason) = _liquidatePartial(d, p, sizeClosed, penaltyBps, digest, strict);
            if (done) return reason;
        }
        return _liquidateFull(d, p, pnl, size * penaltyBps / BPS, digest, strict);
    }

    function _liquidateFull(
        RiskDecision calldata d,
        StoredPosition storage p,
        int256 pnl,
        uint256 penaltyNominal,
        bytes32 digest,
        bool strict
    ) private returns (uint8) {
        uint128 size = p.size;
        (bool ok, uint128 payout, uint128 penalty, uint128 badDebt) =
            _settleFull(d.positionId, p, pnl, penaltyNominal, uint8(Status.Liquidated));
        if (!ok) {
            if (strict) revert InsufficientLiquidity(SafeCast.toUint256(pnl), _acct.vault);
            return uint8(SkipReason.InsufficientLiquidity);
        }
        emit PositionLiquidated(d.positionId, digest, size, pnl, penalty, badDebt);
        // What is left of the equity after the penalty is the trader's: isolated margin takes no more than it must.
        if (payout != 0) COLLATERAL_TOKEN.safeTransfer(p.trader, payout);
        return 0;
    }

    /// @dev Closes `sizeClosed` and keeps the rest open. Returns done = false when the remaining collateral would
    ///      not stay positive, so the caller liquidates the whole position instead.
    function _liquidatePartial(
        RiskDecision calldata d,
        StoredPosition storage p,
        uint256 sizeClosed,
        uint256 penaltyBps,
        bytes32 digest,
        bool strict
    ) private returns (bool done, uint8 reason) {
        int256 pnl = PositionMath.pnl(p.isLong, sizeClosed, p.entryPriceE18, d.markPriceE18);
        uint256 penalty = sizeClosed * penaltyBps / BPS;
        uint128 collateral = p.collateral;
        int256 remaining = int256(uint256(collateral)) + pnl - SafeCast.toInt256(penalty);
        if (remaining <= 0) return (false, 0);
        uint128 vault = _acct.vault;
        if (pnl > 0) {
            // The closed part is in profit (possible when a tightened margin made a winner liquidatable).
            uint256 profit = SafeCast.toUint256(pnl);
            if (profit > vault) {
                if (strict) revert InsufficientLiquidity(profit, vault);
                return (true, uint8(SkipReason.InsufficientLiquidity));
            }
            // forge-lint: disable-next-line(unsafe-typecast)
            _acct.vault = vault - uint128(profit);
        } else {
            _acct.vault = vault + SafeCast.toUint128(SafeCast.toUint256(-pnl));
        }
        uint128 after_ = SafeCast.toUint128(SafeCast.toUint256(remaining));
        p.collateral = after_;
        // forge-lint: disable-next-line(unsafe-typecast)
        p.size -= uint128(sizeClosed);
        p.version += 1;
        p.lastChange = _now40();
        _acct.totalCollateral = _acct.totalCollateral - collateral + after_;
        // forge-lint: disable-next-line(unsafe-typecast)
        _acct.insurance += uint128(penalty);
        // forge-lint: disable-next-line(unsafe-typecast)
        emit PositionLiquidated(d.positionId, digest, uint128(sizeClosed), pnl, uint128(penalty), 0);
        return (true, 0);
    }

    /// @dev Ends a position: the trader gets max(equity − penalty, 0), the penalty (capped at equity) goes to the
    ///      insurance fund, the vault takes the rest of the collateral or pays the profit. A loss beyond collateral
    ///      is bad debt: the insurance fund makes the vault whole as far as it can, the vault absorbs the rest.
    ///      Returns ok = false, changing nothing, when the vault cannot pay the profit.
    function _settleFull(
        bytes32 positionId,
        StoredPosition storage p,
        int256 pnl,
        uint256 penaltyNominal,
        uint8 finalStatus
    ) private returns (bool ok, uint128 payout, uint128 penalty, uint128 badDebt) {
        uint128 collateral = p.collateral;
        int256 equity = int256(uint256(collateral)) + pnl;
        uint128 vault = _acct.vault;
        if (equity <= 0) {
            badDebt = SafeCast.toUint128(SafeCast.toUint256(-equity));
            vault += collateral;
        } else {
            uint256 eq = SafeCast.toUint256(equity);
            penalty = SafeCast.toUint128(penaltyNominal < eq ? penaltyNominal : eq);
            payout = SafeCast.toUint128(eq - penalty);
            // The vault keeps collateral − equity, or pays equity − collateral (the trader's profit).
            if (eq > collateral) {
                uint256 profit = eq - collateral;
                if (profit > vault) return (false, 0, 0, 0);
                // forge-lint: disable-next-line(unsafe-typecast)
                vault -= uint128(profit);
            } else {
                // forge-lint: disable-next-line(unsafe-typecast)
                vault += uint128(collateral - eq);
            }
        }
        p.status = finalStatus;
        p.collateral = 0;
        p.size = 0;
        p.version += 1;
        p.lastChange = _now40();
        _acct.totalCollateral -= collateral;
        uint128 insurance = _acct.insurance + penalty;
        if (badDebt != 0) {
            uint128 fromInsurance = badDebt < insurance ? badDebt : insurance;
            insurance -= fromInsurance;
            vault += fromInsurance;
            _acct.badDebt += badDebt;
            emit BadDebtCovered(positionId, fromInsurance, badDebt - fromInsurance);
        }
        _acct.vault = vault;
        _acct.insurance = insurance;
        ok = true;
    }

    /// @dev Timestamps fit 40 bits until the year 36812.
    function _now40() private view returns (uint40) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint40(block.timestamp);
    }

    function _effectiveMargin(StoredPosition storage p) private view returns (uint32) {
        uint40 from = p.pendingFrom;
        return from != 0 && block.timestamp >= from ? p.pendingMarginBps : p.maintenanceMarginBps;
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

    function _setSigners(address[] memory list, uint8 threshold_) private {
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
        _signerData = SignerSet.write(list);
        _threshold = threshold_;
        // forge-lint: disable-next-line(unsafe-typecast)
        _signerCount = uint8(n);
        emit SignersUpdated(list, threshold_);
    }

    function _validateMarket(bytes32 marketId, MarketConfig calldata cfg) private pure {
        if (marketId == bytes32(0)) revert InvalidMarketConfig(marketId, "marketId");
        if (cfg.maxLeverageX100 < 100) revert InvalidMarketConfig(marketId, "maxLeverageX100");
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

    function _amount128(uint256 amount) private pure returns (uint128) {
        if (amount == 0 || amount > type(uint128).max) revert InvalidAmount(amount);
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint128(amount);
    }

    function _onlyAdmin() private view {
        if (msg.sender != _admin) revert NotAdmin(msg.sender);
    }

    function _onlyGuardianOrAdmin() private view {
        if (msg.sender != _guardian && msg.sender != _admin) revert NotGuardian(msg.sender);
    }
}
