// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MarginManager} from "../../../src/MarginManager.sol";
import {IMarginManager} from "../../../src/interfaces/IMarginManager.sol";
import {MockPriceFeed} from "../../../src/mocks/MockPriceFeed.sol";
import {MockUSDC} from "../../../src/mocks/MockUSDC.sol";
import {OracleKeys} from "../../utils/MarginManagerBase.sol";
import {BlocklistUSDC} from "../../utils/TestTokens.sol";

/// @notice Drives MarginManager the way traders, the oracle and the guardian do, with prices that random-walk, and
///         keeps ghost state the invariants compare against: every version bump it caused, every replay it tried,
///         and whether an action on one position moved another position's collateral. It owns the markets' price
///         feeds (it is their updater) and moves them with the prices it signs; wicks sign away from the feed.
contract MarginHandler is OracleKeys {
    MarginManager public immutable mm;
    MockUSDC public immutable usdc;
    address public immutable guardian;
    bytes32 public immutable model;

    uint256 internal constant MAX_POSITIONS = 24;
    bytes32[2] internal markets = [keccak256("ETH-USD"), keccak256("BTC-USD")];
    address[3] internal traders = [address(0x7001), address(0x7002), address(0x7003)];
    uint128[2] internal prices = [uint128(2000e18), uint128(60_000e18)];

    bytes32[] public ids;
    mapping(bytes32 positionId => uint64) public ghostVersion;
    mapping(bytes32 positionId => uint256) internal marketOf;
    bytes[] internal appliedCalls; // calldata of every decision call that succeeded, for replays
    uint64 internal nextNonce = 1;
    uint256 internal nextId = 1;

    uint256 public replaysAccepted;
    uint256 public replaysTried;
    bool public isolationBroken;
    uint256 public liquidations;
    uint256 public skipped;
    uint256 public wicksAccepted; // decisions signed further from the feed than the guard allows that applied
    uint256 public claims;
    uint256 public emergencyCloses;
    uint256 public constant FEED_GUARD_BPS = 500;
    MockPriceFeed[2] public feeds;

    constructor(MarginManager mm_, MockUSDC usdc_, address guardian_, bytes32 model_) {
        mm = mm_;
        usdc = usdc_;
        guardian = guardian_;
        model = model_;
        for (uint256 i; i < 3; ++i) {
            usdc.mint(traders[i], 1e15);
            vm.prank(traders[i]);
            usdc.approve(address(mm), type(uint256).max);
        }
        usdc.mint(address(this), 1e15);
        usdc.approve(address(mm), type(uint256).max);
        for (uint256 m; m < 2; ++m) {
            feeds[m] = new MockPriceFeed(8, address(this), int256(uint256(prices[m] / 1e10)));
        }
    }

    function trader(uint256 i) external view returns (address) {
        return traders[i];
    }

    function positionCount() external view returns (uint256) {
        return ids.length;
    }

    // --- actions ---------------------------------------------------------------------------------------------

    /// @dev Requested leverage runs up to 60x against caps of 1x..50x, so many opens must be refused.
    function open(uint256 traderSeed, uint256 marketSeed, bool isLong, uint256 collateralSeed, uint256 levSeed)
        external
    {
        if (ids.length >= MAX_POSITIONS) return;
        uint256 m = marketSeed % 2;
        IMarginManager.RiskDecision memory d = _base(keccak256(abi.encode("inv", nextId)), m);
        d.kind = uint8(IMarginManager.Kind.Open);
        d.trader = traders[traderSeed % 3];
        d.isLong = isLong;
        d.collateral = uint128(10e6 + collateralSeed % 50_000e6);
        d.size = uint128(uint256(d.collateral) * (100 + levSeed % 5900) / 100);
        d.maxLeverageX100 = uint32(100 + (levSeed >> 16) % 4901);
        d.maintenanceMarginBps = uint32(50 + (levSeed >> 32) % 150);
        bytes memory call = abi.encodeCall(mm.openPosition, (d, quorum(mm.decisionDigest(d))));
        uint128[] memory before = _snapshot();
        vm.prank(d.trader);
        (bool ok,) = address(mm).call(call);
        _checkOthers(before, d.positionId, bytes32(0));
        if (ok) {
            ids.push(d.positionId);
            marketOf[d.positionId] = m;
            ghostVersion[d.positionId] = 1;
            appliedCalls.push(call);
            ++nextId;
        }
    }

    function topUp(uint256 posSeed, uint256 amountSeed) external {
        if (ids.length == 0) return;
        bytes32 id = ids[posSeed % ids.length];
        if (mm.getPosition(id).status != uint8(IMarginManager.Status.Open)) return;
        uint128[] memory before = _snapshot();
        mm.addCollateral(id, uint128(1 + amountSeed % 5000e6));
        _checkOthers(before, id, bytes32(0)); // a top-up is not a version change
    }

    function adjust(uint256 posSeed, uint256 marginSeed, uint256 capSeed) external {
        bytes32 id = _pickOpen(posSeed);
        if (id == bytes32(0)) return;
        IMarginManager.RiskDecision memory d = _base(id, marketOf[id]);
        d.kind = uint8(IMarginManager.Kind.Adjust);
        d.positionVersion = ghostVersion[id];
        d.maintenanceMarginBps = uint32(50 + marginSeed % 700);
        d.maxLeverageX100 = uint32(100 + capSeed % 4901);
        d.riskScoreBps = uint16(capSeed % 10_001);
        _applySingle(d);
    }

    /// @dev With `crash`, first moves the market against the position by 80%..130% of its collateral, so that
    ///      partial, full and bad-debt liquidations all occur (random walks alone rarely get there).
    function liquidate(uint256 posSeed, uint256 closeFactorSeed, bool crash) external {
        bytes32 id = _pickOpen(posSeed);
        if (id == bytes32(0)) return;
        if (crash) _crash(id, closeFactorSeed >> 16);
        IMarginManager.RiskDecision memory d = _base(id, marketOf[id]);
        d.kind = uint8(IMarginManager.Kind.Liquidate);
        d.positionVersion = ghostVersion[id];
        d.closeFactorBps = uint32(1 + closeFactorSeed % 10_000);
        if (_applySingle(d)) ++liquidations;
    }

    /// @dev Up to 6 items, some deliberately stale (an older version), all under one quorum.
    function liquidateBatch(uint256 seed, uint256 countSeed, bool crash) external {
        uint256 n = ids.length;
        if (n == 0) return;
        if (crash) {
            bytes32 first = _pickOpen(seed);
            if (first != bytes32(0)) _crash(first, countSeed >> 16);
        }
        uint256 count = 1 + countSeed % 6;
        IMarginManager.RiskDecision[] memory ds = new IMarginManager.RiskDecision[](count);
        bytes32[] memory targets = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            bytes32 id = ids[(seed % n + i) % n];
            IMarginManager.RiskDecision memory d = _base(id, marketOf[id]);
            d.kind = uint8(IMarginManager.Kind.Liquidate);
            d.positionVersion = (seed >> i) & 7 == 0 && ghostVersion[id] > 1 ? ghostVersion[id] - 1 : ghostVersion[id];
            d.closeFactorBps = uint32(1 + (seed >> (8 + i)) % 10_000);
            ds[i] = d;
            targets[i] = id;
        }
        uint64 nonce = nextNonce++;
        uint64 validUntil = uint64(block.timestamp + 60);
        bytes memory call =
            abi.encodeCall(mm.applyDecisions, (nonce, validUntil, ds, quorum(mm.batchDigest(nonce, validUntil, ds))));
        uint64[] memory versions = new uint64[](count);
        for (uint256 i; i < count; ++i) {
            versions[i] = mm.getPosition(targets[i]).version;
        }
        uint128[] memory before = _snapshot();
        (bool ok,) = address(mm).call(call);
        if (!ok) return;
        appliedCalls.push(call);
        for (uint256 i; i < count; ++i) {
            // Items carry version v or v - 1, so one batch bumps a position at most once, even when the position
            // appears twice; the invariant then checks that the contract bumped it by exactly one.
            if (mm.getPosition(targets[i]).version != versions[i] && ghostVersion[targets[i]] == versions[i]) {
                ghostVersion[targets[i]] = versions[i] + 1;
            }
        }
        _checkOthersMany(before, targets);
    }

    function close(uint256 posSeed) external {
        bytes32 id = _pickOpen(posSeed);
        if (id == bytes32(0)) return;
        IMarginManager.Position memory p = mm.getPosition(id);
        IMarginManager.RiskDecision memory d = _base(id, marketOf[id]);
        d.kind = uint8(IMarginManager.Kind.Close);
        d.trader = p.trader;
        d.positionVersion = ghostVersion[id];
        bytes memory call = abi.encodeCall(mm.closePosition, (d, quorum(mm.decisionDigest(d))));
        uint128[] memory before = _snapshot();
        vm.prank(p.trader);
        (bool ok,) = address(mm).call(call);
        _checkOthers(before, id, bytes32(0));
        if (ok) appliedCalls.push(call); // closed: the version stays
    }

    function movePrice(uint256 marketSeed, uint256 moveSeed, uint256 dtSeed) external {
        uint256 m = marketSeed % 2;
        uint256 bps = moveSeed % 1500; // up to ±15% per step
        prices[m] = uint128(
            moveSeed & (1 << 128) == 0
                ? uint256(prices[m]) * (10_000 + bps) / 10_000
                : uint256(prices[m]) * (10_000 - bps) / 10_000
        );
        if (prices[m] < 1e15) prices[m] = 1e15;
        vm.warp(block.timestamp + 1 + dtSeed % 900);
        _pushFeed(m);
    }

    /// @dev A LIQUIDATE signed at a wick up to 20% below (or above, for shorts) the feed: beyond the guard's 5% it
    ///      must never apply.
    function wickLiquidate(uint256 posSeed, uint256 wickSeed) external {
        bytes32 id = _pickOpen(posSeed);
        if (id == bytes32(0)) return;
        IMarginManager.Position memory p = mm.getPosition(id);
        IMarginManager.RiskDecision memory d = _base(id, marketOf[id]);
        uint256 wickBps = wickSeed % 2000;
        d.markPriceE18 = uint128(
            p.isLong
                ? uint256(d.markPriceE18) * (10_000 - wickBps) / 10_000
                : uint256(d.markPriceE18) * (10_000 + wickBps) / 10_000
        );
        d.kind = uint8(IMarginManager.Kind.Liquidate);
        d.positionVersion = ghostVersion[id];
        d.closeFactorBps = 10_000;
        uint256 feed = uint256(prices[marketOf[id]]) / 1e10 * 1e10;
        uint256 diff = d.markPriceE18 > feed ? d.markPriceE18 - feed : feed - d.markPriceE18;
        bool beyondGuard = diff * 10_000 > feed * FEED_GUARD_BPS;
        if (_applySingle(d)) {
            ++liquidations;
            if (beyondGuard) ++wicksAccepted;
        }
    }

    /// @dev The collateral token's blocklist (real USDC has one): payouts to a blocked trader are escrowed.
    function blockTrader(uint256 traderSeed, bool isBlocked) external {
        BlocklistUSDC(address(usdc)).setBlocked(traders[traderSeed % 3], isBlocked);
    }

    function claim(uint256 traderSeed) external {
        address t = traders[traderSeed % 3];
        if (mm.claimable(t) == 0) return;
        uint128[] memory before = _snapshot();
        vm.prank(t);
        mm.claim(address(0xC1A1)); // to an address of its own, never blocked
        _checkOthers(before, bytes32(0), bytes32(0));
        ++claims;
    }

    /// @dev The trader's exit without the oracle: it only succeeds once the market's liveness timeout has passed.
    function emergencyClose(uint256 posSeed) external {
        bytes32 id = _pickOpen(posSeed);
        if (id == bytes32(0)) return;
        address t = mm.getPosition(id).trader;
        uint128[] memory before = _snapshot();
        vm.prank(t);
        (bool ok,) = address(mm).call(abi.encodeCall(mm.emergencyClose, (id)));
        _checkOthers(before, id, bytes32(0));
        if (ok) ++emergencyCloses;
    }

    function _pushFeed(uint256 m) internal {
        feeds[m].updateAnswer(int256(uint256(prices[m] / 1e10)));
    }

    function freeze(uint256 posSeed, bool frozen) external {
        bytes32 id = _pickOpen(posSeed);
        if (id == bytes32(0)) return;
        vm.prank(guardian);
        mm.freezePosition(id, frozen);
        ++ghostVersion[id];
    }

    function fundPool(uint256 amountSeed, bool insurance) external {
        uint256 amount = 1 + amountSeed % 100_000e6;
        if (insurance) mm.fundInsurance(amount);
        else mm.depositLiquidity(amount);
    }

    /// @dev Sends a call that already succeeded once, unchanged: it must never succeed again.
    function replay(uint256 seed) external {
        if (appliedCalls.length == 0) return;
        bytes memory call = appliedCalls[seed % appliedCalls.length];
        ++replaysTried;
        // openPosition and closePosition check msg.sender: replay as every trader.
        for (uint256 i; i < 3; ++i) {
            vm.prank(traders[i]);
            (bool ok,) = address(mm).call(call);
            if (ok) ++replaysAccepted;
        }
    }

    // --- helpers ---------------------------------------------------------------------------------------------

    function _base(bytes32 id, uint256 m) internal view returns (IMarginManager.RiskDecision memory d) {
        d.positionId = id;
        d.marketId = markets[m];
        d.trader = traders[0];
        d.markPriceE18 = prices[m];
        d.priceTimestamp = uint64(block.timestamp);
        d.validUntil = uint64(block.timestamp + 60);
        d.modelHash = model;
        d.maxLeverageX100 = 2000;
        d.maintenanceMarginBps = 250;
    }

    function _crash(bytes32 id, uint256 seed) internal {
        IMarginManager.Position memory p = mm.getPosition(id);
        uint256 m = marketOf[id];
        uint256 moveE4 = uint256(p.collateral) * (8000 + seed % 5001) / p.size; // fraction of price × 1e4
        uint256 e = p.entryPriceE18;
        uint256 price =
            p.isLong ? (moveE4 >= 10_000 ? e / 100 : e * (10_000 - moveE4) / 10_000) : e * (10_000 + moveE4) / 10_000;
        prices[m] = uint128(price < 1e15 ? 1e15 : price);
        _pushFeed(m);
    }

    function _applySingle(IMarginManager.RiskDecision memory d) internal returns (bool ok) {
        bytes memory call = abi.encodeCall(mm.applyDecision, (d, quorum(mm.decisionDigest(d))));
        uint128[] memory before = _snapshot();
        (ok,) = address(mm).call(call);
        _checkOthers(before, d.positionId, bytes32(0));
        if (ok) {
            // A settled position keeps its last version: only a change to a position that stays open bumps it.
            if (mm.getPosition(d.positionId).status == uint8(IMarginManager.Status.Open)) ++ghostVersion[d.positionId];
            appliedCalls.push(call);
        }
    }

    function _pickOpen(uint256 seed) internal view returns (bytes32) {
        uint256 n = ids.length;
        for (uint256 k; k < n; ++k) {
            bytes32 id = ids[(seed % n + k) % n];
            if (mm.getPosition(id).status == uint8(IMarginManager.Status.Open)) return id;
        }
        return bytes32(0);
    }

    function _snapshot() internal view returns (uint128[] memory c) {
        c = new uint128[](ids.length);
        for (uint256 i; i < c.length; ++i) {
            c[i] = mm.getPosition(ids[i]).collateral;
        }
    }

    function _checkOthers(uint128[] memory before, bytes32 a, bytes32 b) internal {
        for (uint256 i; i < before.length; ++i) {
            bytes32 id = ids[i];
            if (id != a && id != b && mm.getPosition(id).collateral != before[i]) isolationBroken = true;
        }
    }

    function _checkOthersMany(uint128[] memory before, bytes32[] memory targets) internal {
        for (uint256 i; i < before.length; ++i) {
            bool targeted;
            for (uint256 j; j < targets.length; ++j) {
                if (ids[i] == targets[j]) targeted = true;
            }
            if (!targeted && mm.getPosition(ids[i]).collateral != before[i]) isolationBroken = true;
        }
    }
}
