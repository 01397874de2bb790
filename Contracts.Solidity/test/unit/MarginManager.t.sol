// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginManager} from "../../src/interfaces/IMarginManager.sol";
import {MarginManagerBase} from "../utils/MarginManagerBase.sol";
import {Vm} from "../utils/Vm.sol";

/// @notice Trader functions and the oracle path: the happy paths with exact amounts, and every refusal.
contract MarginManagerTest is MarginManagerBase {
    bytes32 internal id;

    function setUp() public override {
        super.setUp();
        id = pid(1);
    }

    // --- openPosition ----------------------------------------------------------------------------------------

    function test_openPosition_storesPositionAndPullsCollateral() public {
        uint256 before = usdc.balanceOf(alice);
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 10_000e6);
        bytes32 digest = mm.decisionDigest(d);
        IMarginManager.Quorum memory q = quorum(digest);
        vm.expectEmit(address(mm));
        emit IMarginManager.PositionOpened(id, digest, alice, ETH, true, 1000e6, 10_000e6, PRICE);
        vm.prank(alice);
        assertEq(mm.openPosition(d, q), id, "returned id");

        IMarginManager.Position memory p = mm.getPosition(id);
        assertEq(p.trader, alice, "trader");
        assertEq(p.marketId, ETH, "market");
        assertEq(p.isLong, true, "side");
        assertEq(p.collateral, 1000e6, "collateral");
        assertEq(p.size, 10_000e6, "size");
        assertEq(p.entryPriceE18, PRICE, "entry");
        assertEq(p.maxLeverageX100, 2000, "cap");
        assertEq(p.maintenanceMarginBps, 250, "margin");
        assertEq(p.riskScoreBps, 1200, "risk");
        assertEq(p.version, 1, "version");
        assertEq(p.status, uint8(IMarginManager.Status.Open), "status");
        assertEq(before - usdc.balanceOf(alice), 1000e6, "pulled");
        assertEq(mm.totalCollateral(), 1000e6, "total collateral");
        assertBooks();
    }

    function test_openPosition_RevertWhen_CallerIsNotTrader() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 10_000e6);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotTrader.selector, bob, alice));
        vm.prank(bob);
        mm.openPosition(d, q);
    }

    function test_openPosition_RevertWhen_KindIsNotOpen() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 10_000e6);
        d.kind = uint8(IMarginManager.Kind.Adjust);
        _expectOpenRevert(d, abi.encodeWithSelector(IMarginManager.WrongKind.selector, 1, 2));
    }

    function test_openPosition_RevertWhen_MarketUnlisted() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 10_000e6);
        d.marketId = keccak256("XRP-USD");
        _expectOpenRevert(d, abi.encodeWithSelector(IMarginManager.MarketNotListed.selector, d.marketId));
    }

    function test_openPosition_RevertWhen_MarketReduceOnly() public {
        vm.prank(guardian);
        mm.setMarketMode(ETH, uint8(IMarginManager.MarketMode.ReduceOnly));
        _expectOpenRevert(
            openDecision(id, alice, true, 1000e6, 10_000e6),
            abi.encodeWithSelector(IMarginManager.MarketModeForbids.selector, ETH, 1)
        );
    }

    function test_openPosition_RevertWhen_MarketFrozen() public {
        vm.prank(guardian);
        mm.setMarketMode(ETH, uint8(IMarginManager.MarketMode.Frozen));
        _expectOpenRevert(
            openDecision(id, alice, true, 1000e6, 10_000e6),
            abi.encodeWithSelector(IMarginManager.MarketModeForbids.selector, ETH, 2)
        );
    }

    function test_openPosition_RevertWhen_Halted() public {
        vm.prank(guardian);
        mm.halt();
        _expectOpenRevert(
            openDecision(id, alice, true, 1000e6, 10_000e6),
            abi.encodeWithSelector(IMarginManager.SystemHalted.selector)
        );
    }

    function test_openPosition_RevertWhen_ModelNotRegistered() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 10_000e6);
        d.modelHash = keccak256("rogue model");
        _expectOpenRevert(d, abi.encodeWithSelector(IMarginManager.ModelNotAllowed.selector, d.modelHash));
    }

    function test_openPosition_RevertWhen_VersionIsNotZero() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 10_000e6);
        d.positionVersion = 1;
        _expectOpenRevert(d, abi.encodeWithSelector(IMarginManager.StaleVersion.selector, id, 0, 1));
    }

    function test_openPosition_RevertWhen_Expired() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 10_000e6);
        d.validUntil = uint64(block.timestamp - 1);
        _expectOpenRevert(
            d, abi.encodeWithSelector(IMarginManager.DecisionExpired.selector, d.validUntil, block.timestamp)
        );
    }

    function test_openPosition_RevertWhen_PriceZero() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 10_000e6);
        d.markPriceE18 = 0;
        _expectOpenRevert(d, abi.encodeWithSelector(IMarginManager.ZeroPrice.selector));
    }

    function test_openPosition_RevertWhen_PriceOlderThanMaxAge() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 10_000e6);
        d.priceTimestamp = uint64(block.timestamp - 61);
        _expectOpenRevert(
            d, abi.encodeWithSelector(IMarginManager.PriceTooOld.selector, d.priceTimestamp, 60, block.timestamp)
        );
    }

    function test_openPosition_acceptsPriceAtMaxAge() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 10_000e6);
        d.priceTimestamp = uint64(block.timestamp - 60);
        IMarginManager.Quorum memory q = signed(d);
        vm.prank(alice);
        mm.openPosition(d, q);
        assertEq(mm.getPosition(id).version, 1, "opened");
    }

    function test_openPosition_RevertWhen_LeverageAboveDecisionCap() public {
        // 10x cap, 10.01x requested.
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 10_010e6);
        d.maxLeverageX100 = 1000;
        _expectOpenRevert(d, abi.encodeWithSelector(IMarginManager.LeverageAboveCap.selector, 1001, 1000));
    }

    function test_openPosition_acceptsLeverageExactlyAtCap() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 20_000e6);
        d.maintenanceMarginBps = 400;
        IMarginManager.Quorum memory q = signed(d);
        vm.prank(alice);
        mm.openPosition(d, q);
        assertEq(mm.getPosition(id).size, 20_000e6, "20x at a 20x cap");
    }

    function test_openPosition_RevertWhen_DecisionCapAboveMarketCap() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 10_000e6);
        d.maxLeverageX100 = 5001;
        _expectOpenRevert(d, abi.encodeWithSelector(IMarginManager.DecisionCapAboveMarketCap.selector, 5001, 5000));
    }

    function test_openPosition_RevertWhen_MarginBelowMarketMin() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 10_000e6);
        d.maintenanceMarginBps = 49;
        _expectOpenRevert(d, abi.encodeWithSelector(IMarginManager.MarginOutOfBounds.selector, 49, 50, 2500));
    }

    function test_openPosition_RevertWhen_MarginAboveMarketMax() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 2000e6);
        d.maintenanceMarginBps = 2501;
        _expectOpenRevert(d, abi.encodeWithSelector(IMarginManager.MarginOutOfBounds.selector, 2501, 50, 2500));
    }

    function test_openPosition_RevertWhen_RiskScoreAbove10000() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 10_000e6);
        d.riskScoreBps = 10_001;
        _expectOpenRevert(d, abi.encodeWithSelector(IMarginManager.RiskScoreOutOfRange.selector, 10_001));
    }

    function test_openPosition_RevertWhen_ImmediatelyLiquidatable() public {
        // 20x with a 6% maintenance margin: collateral 5% of size < 6% requirement.
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 20_000e6);
        d.maintenanceMarginBps = 600;
        _expectOpenRevert(d, abi.encodeWithSelector(IMarginManager.OpenWouldBeLiquidatable.selector, 1000e6, 1200e6));
    }

    function test_openPosition_RevertWhen_ZeroCollateral() public {
        _expectOpenRevert(
            openDecision(id, alice, true, 0, 10_000e6),
            abi.encodeWithSelector(IMarginManager.ZeroPositionAmount.selector)
        );
    }

    function test_openPosition_RevertWhen_PositionIdUsed() public {
        openAs(alice, id, true, 1000e6);
        _expectOpenRevert(
            openDecision(id, alice, false, 500e6, 1000e6),
            abi.encodeWithSelector(IMarginManager.PositionExists.selector, id)
        );
    }

    function test_openPosition_RevertWhen_QuorumSignedOtherDecision() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, true, 1000e6, 10_000e6);
        IMarginManager.Quorum memory q = signed(d);
        d.size = 20_000e6; // the trader inflates the size after signing
        vm.prank(alice);
        vm.expectRevert(); // recovers to some other address: InvalidSigner(0, <unknown>)
        mm.openPosition(d, q);
    }

    // --- openPositionFor -------------------------------------------------------------------------------------

    function test_openPositionFor_opensWithTraderSignature() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, false, 1000e6, 5000e6);
        bytes32 digest = mm.decisionDigest(d);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ALICE_KEY, digest);
        IMarginManager.Quorum memory q = quorum(digest);
        vm.prank(bob); // a relayer pays the gas
        mm.openPositionFor(d, q, abi.encodePacked(r, s, v));
        IMarginManager.Position memory p = mm.getPosition(id);
        assertEq(p.trader, alice, "trader");
        assertEq(p.isLong, false, "short");
        assertEq(usdc.balanceOf(bob), 10_000_000e6, "relayer paid nothing");
    }

    function test_openPositionFor_RevertWhen_TraderSignatureIsWrong() public {
        IMarginManager.RiskDecision memory d = openDecision(id, alice, false, 1000e6, 5000e6);
        bytes32 digest = mm.decisionDigest(d);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(BOB_KEY, digest);
        IMarginManager.Quorum memory q = quorum(digest);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidTraderSignature.selector, alice));
        mm.openPositionFor(d, q, abi.encodePacked(r, s, v));
    }

    // --- addCollateral ---------------------------------------------------------------------------------------

    function test_addCollateral_raisesCollateralKeepsVersion() public {
        openAs(alice, id, true, 1000e6);
        vm.expectEmit(address(mm));
        emit IMarginManager.CollateralAdded(id, bob, 300e6, 1300e6, 1);
        vm.prank(bob);
        mm.addCollateral(id, 300e6);
        IMarginManager.Position memory p = mm.getPosition(id);
        assertEq(p.collateral, 1300e6, "collateral");
        assertEq(p.version, 1, "a top-up is not a version change");
        assertEq(mm.totalCollateral(), 1300e6, "total");
        assertBooks();
    }

    function test_addCollateral_worksWhileHaltedFrozenAndReduceOnly() public {
        openAs(alice, id, true, 1000e6);
        vm.startPrank(guardian);
        mm.halt();
        mm.setMarketMode(ETH, uint8(IMarginManager.MarketMode.Frozen));
        mm.freezePosition(id, true);
        vm.stopPrank();
        vm.prank(alice);
        mm.addCollateral(id, 1e6);
        assertEq(mm.getPosition(id).collateral, 1001e6, "topped up");
    }

    function test_addCollateral_RevertWhen_PositionNotOpen() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.PositionNotOpen.selector, id, 0));
        vm.prank(alice);
        mm.addCollateral(id, 1e6);
    }

    function test_addCollateral_RevertWhen_AmountZero() public {
        openAs(alice, id, true, 1000e6);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidAmount.selector, 0));
        vm.prank(alice);
        mm.addCollateral(id, 0);
    }

    // --- closePosition ---------------------------------------------------------------------------------------

    function test_closePosition_paysProfitFromVault() public {
        openAs(alice, id, true, 1000e6);
        uint256 before = usdc.balanceOf(alice);
        IMarginManager.RiskDecision memory d = closeDecision(id, alice, 1, 2100e18);
        IMarginManager.Quorum memory q = signed(d);
        bytes32 digest_ = mm.decisionDigest(d);
        vm.expectEmit(address(mm));
        emit IMarginManager.PositionClosed(id, digest_, 500e6, 1500e6, 0);
        vm.prank(alice);
        mm.closePosition(d, q);
        assertEq(usdc.balanceOf(alice) - before, 1500e6, "collateral + 5% of 10x");
        assertEq(mm.vaultBalance(), VAULT - 500e6, "vault paid the profit");
        IMarginManager.Position memory p = mm.getPosition(id);
        assertEq(p.status, uint8(IMarginManager.Status.Closed), "closed");
        assertEq(p.collateral, 0, "no collateral left");
        assertEq(p.version, 1, "a settled position keeps its last version; its status ends it");
        assertBooks();
    }

    function test_closePosition_lossGoesToVault() public {
        openAs(alice, id, false, 1000e6); // short, price up 3%: -300
        IMarginManager.RiskDecision memory d = closeDecision(id, alice, 1, 2060e18);
        IMarginManager.Quorum memory q = signed(d);
        vm.prank(alice);
        mm.closePosition(d, q);
        assertEq(mm.vaultBalance(), VAULT + 300e6, "vault gained the loss");
        assertBooks();
    }

    function test_closePosition_lossBeyondCollateralIsBadDebt() public {
        openAs(alice, id, true, 1000e6); // -15% at 10x: equity -500
        IMarginManager.RiskDecision memory d = closeDecision(id, alice, 1, 1700e18);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectEmit(address(mm));
        emit IMarginManager.BadDebtCovered(id, 500e6, 0);
        vm.prank(alice);
        mm.closePosition(d, q);
        assertEq(mm.totalBadDebt(), 500e6, "bad debt");
        assertEq(mm.insuranceBalance(), INSURANCE - 500e6, "insurance paid");
        assertEq(mm.vaultBalance(), VAULT + 1500e6, "vault: collateral + insurance cover");
        assertBooks();
    }

    function test_closePosition_RevertWhen_CallerIsNotTrader() public {
        openAs(alice, id, true, 1000e6);
        IMarginManager.RiskDecision memory d = closeDecision(id, alice, 1, PRICE);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotTrader.selector, bob, alice));
        vm.prank(bob);
        mm.closePosition(d, q);
    }

    function test_closePosition_RevertWhen_KindIsNotClose() public {
        openAs(alice, id, true, 1000e6);
        IMarginManager.RiskDecision memory d = liquidateDecision(id, 1, PRICE, 10_000);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.WrongKind.selector, 4, 3));
        vm.prank(alice);
        mm.closePosition(d, q);
    }

    function test_closePosition_RevertWhen_Halted() public {
        openAs(alice, id, true, 1000e6);
        vm.prank(guardian);
        mm.halt();
        IMarginManager.RiskDecision memory d = closeDecision(id, alice, 1, PRICE);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.SystemHalted.selector));
        vm.prank(alice);
        mm.closePosition(d, q);
    }

    function test_closePosition_RevertWhen_VaultCannotPayProfit() public {
        openAs(alice, id, true, 1000e6);
        vm.prank(admin);
        mm.withdrawLiquidity(VAULT - 100e6);
        IMarginManager.RiskDecision memory d = closeDecision(id, alice, 1, 2100e18);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InsufficientLiquidity.selector, 500e6, 100e6));
        vm.prank(alice);
        mm.closePosition(d, q);
    }

    function test_closePosition_worksInReduceOnlyMarket() public {
        openAs(alice, id, true, 1000e6);
        vm.prank(guardian);
        mm.setMarketMode(ETH, uint8(IMarginManager.MarketMode.ReduceOnly));
        IMarginManager.RiskDecision memory d = closeDecision(id, alice, 1, PRICE);
        IMarginManager.Quorum memory q = signed(d);
        vm.prank(alice);
        mm.closePosition(d, q);
        assertEq(mm.getPosition(id).status, uint8(IMarginManager.Status.Closed), "closed");
    }

    // --- applyDecision: ADJUST -------------------------------------------------------------------------------

    function test_applyDecision_adjustLoosensImmediately() public {
        openAs(alice, id, true, 1000e6);
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 1500, 200, 900);
        bytes32 digest_ = mm.decisionDigest(d);
        vm.expectEmit(address(mm));
        emit IMarginManager.RiskUpdated(id, digest_, 1500, 200, 900, uint64(block.timestamp));
        apply_(d);
        IMarginManager.Position memory p = mm.getPosition(id);
        assertEq(p.maintenanceMarginBps, 200, "margin");
        assertEq(p.maxLeverageX100, 1500, "cap");
        assertEq(p.riskScoreBps, 900, "risk");
        assertEq(p.version, 2, "version");
    }

    function test_applyDecision_adjustTighteningWaitsForGrace() public {
        openAs(alice, id, true, 1000e6);
        apply_(adjustDecision(id, 1, 2000, 600, 3000));
        assertEq(mm.getPosition(id).maintenanceMarginBps, 250, "old margin during grace");
        (uint32 pending, uint64 at) = mm.pendingMargin(id);
        assertEq(pending, 600, "pending margin");
        assertEq(at, block.timestamp + 3600, "effective after grace");
        // At 1900 equity is 500: healthy under 2.5% (250), liquidatable under 6% (570).
        assertEq(mm.isLiquidatable(id, 1900e18), false, "healthy during grace");
        vm.warp(block.timestamp + 3600);
        assertEq(mm.getPosition(id).maintenanceMarginBps, 600, "new margin after grace");
        assertEq(mm.isLiquidatable(id, 1900e18), true, "liquidatable after grace");
        (pending,) = mm.pendingMargin(id);
        assertEq(pending, 0, "nothing pending");
    }

    function test_applyDecision_adjustLooseningCancelsPendingTightening() public {
        openAs(alice, id, true, 1000e6);
        apply_(adjustDecision(id, 1, 2000, 600, 3000));
        apply_(adjustDecision(id, 2, 2000, 200, 100));
        (uint32 pending,) = mm.pendingMargin(id);
        assertEq(pending, 0, "pending cleared");
        vm.warp(block.timestamp + 7200);
        assertEq(mm.getPosition(id).maintenanceMarginBps, 200, "loosened");
    }

    function test_applyDecision_adjustTightensAtOnceWithoutGrace() public {
        IMarginManager.MarketConfig memory cfg = marketConfig();
        cfg.tighteningGrace = 0;
        vm.prank(admin);
        mm.setMarket(ETH, cfg);
        openAs(alice, id, true, 1000e6);
        apply_(adjustDecision(id, 1, 2000, 600, 3000));
        assertEq(mm.getPosition(id).maintenanceMarginBps, 600, "immediate");
    }

    function test_applyDecision_RevertWhen_MarginStepTooLarge() public {
        openAs(alice, id, true, 1000e6);
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 2000, 751, 0);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.MarginStepTooLarge.selector, 250, 751, 500));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_AdjustMarginOutOfBounds() public {
        openAs(alice, id, true, 1000e6);
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 2000, 40, 0);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.MarginOutOfBounds.selector, 40, 50, 2500));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_AdjustCapAboveMarketCap() public {
        openAs(alice, id, true, 1000e6);
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 6000, 250, 0);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.DecisionCapAboveMarketCap.selector, 6000, 5000));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_AdjustRiskScoreAbove10000() public {
        openAs(alice, id, true, 1000e6);
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 2000, 250, 10_001);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.RiskScoreOutOfRange.selector, 10_001));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_WrongVersion() public {
        openAs(alice, id, true, 1000e6);
        IMarginManager.RiskDecision memory d = adjustDecision(id, 2, 2000, 250, 0);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.StaleVersion.selector, id, 1, 2));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_KindIsOpenOrClose() public {
        openAs(alice, id, true, 1000e6);
        IMarginManager.RiskDecision memory d = closeDecision(id, alice, 1, PRICE);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.WrongKind.selector, 2, 4));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_Halted() public {
        openAs(alice, id, true, 1000e6);
        vm.prank(guardian);
        mm.halt();
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 2000, 250, 0);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.SystemHalted.selector));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_PositionFrozen() public {
        openAs(alice, id, true, 1000e6);
        vm.prank(guardian);
        mm.freezePosition(id, true);
        IMarginManager.RiskDecision memory d = liquidateDecision(id, 2, 1840e18, 10_000);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.PositionIsFrozen.selector, id));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_MarketFrozen() public {
        openAs(alice, id, true, 1000e6);
        vm.prank(guardian);
        mm.setMarketMode(ETH, uint8(IMarginManager.MarketMode.Frozen));
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 2000, 250, 0);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.MarketModeForbids.selector, ETH, 2));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_MarketIsNotPositions() public {
        openAs(alice, id, true, 1000e6);
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 2000, 250, 0);
        d.marketId = BTC;
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.MarketMismatch.selector, id, BTC));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_MarketDelisted() public {
        openAs(alice, id, true, 1000e6);
        IMarginManager.MarketConfig memory cfg = marketConfig();
        cfg.listed = false;
        vm.prank(admin);
        mm.setMarket(ETH, cfg);
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 2000, 250, 0);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.MarketNotListed.selector, ETH));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_ModelDeregistered() public {
        openAs(alice, id, true, 1000e6);
        vm.prank(admin);
        mm.setModel(MODEL, false);
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 2000, 250, 0);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.ModelNotAllowed.selector, MODEL));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_Expired() public {
        openAs(alice, id, true, 1000e6);
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 2000, 250, 0);
        IMarginManager.Quorum memory q = signed(d);
        vm.warp(block.timestamp + 301);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.DecisionExpired.selector, d.validUntil, block.timestamp));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_PriceOlderThanLastChange() public {
        openAs(alice, id, true, 1000e6);
        vm.warp(block.timestamp + 10);
        apply_(adjustDecision(id, 1, 2000, 200, 1000)); // a change at +10 s
        IMarginManager.RiskDecision memory d = liquidateDecision(id, 2, 1840e18, 10_000);
        d.priceTimestamp = uint64(block.timestamp - 5);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginManager.PriceBeforeLastChange.selector, d.priceTimestamp, block.timestamp)
        );
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_PriceZero() public {
        openAs(alice, id, true, 1000e6);
        IMarginManager.RiskDecision memory d = liquidateDecision(id, 1, 0, 10_000);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.ZeroPrice.selector));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_PositionUnknown() public {
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 2000, 250, 0);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.PositionNotOpen.selector, id, 0));
        mm.applyDecision(d, q);
    }

    // --- applyDecision: LIQUIDATE ----------------------------------------------------------------------------

    function test_applyDecision_liquidateFullPaysPenaltyAndReturnsRest() public {
        openAs(alice, id, true, 1000e6);
        uint256 before = usdc.balanceOf(alice);
        // At 1840: pnl -800, equity 200 < 250 requirement; penalty 1% of 10,000 = 100; 100 back to the trader.
        IMarginManager.RiskDecision memory d = liquidateDecision(id, 1, 1840e18, 10_000);
        bytes32 digest_ = mm.decisionDigest(d);
        vm.expectEmit(address(mm));
        emit IMarginManager.PositionLiquidated(id, digest_, 10_000e6, -800e6, 100e6, 0);
        apply_(d);
        assertEq(usdc.balanceOf(alice) - before, 100e6, "residual equity to trader");
        assertEq(mm.insuranceBalance(), INSURANCE + 100e6, "penalty to insurance");
        assertEq(mm.vaultBalance(), VAULT + 800e6, "loss to vault");
        IMarginManager.Position memory p = mm.getPosition(id);
        assertEq(p.status, uint8(IMarginManager.Status.Liquidated), "status");
        assertEq(p.size, 0, "size");
        assertBooks();
    }

    function test_applyDecision_liquidatePartialKeepsRemainderOpen() public {
        openAs(alice, id, true, 1000e6);
        apply_(liquidateDecision(id, 1, 1840e18, 5000));
        IMarginManager.Position memory p = mm.getPosition(id);
        assertEq(p.status, uint8(IMarginManager.Status.Open), "still open");
        assertEq(p.size, 5000e6, "half closed");
        assertEq(p.collateral, 550e6, "1000 - 400 loss - 50 penalty");
        assertEq(p.version, 2, "version");
        assertEq(mm.vaultBalance(), VAULT + 400e6, "vault");
        assertEq(mm.insuranceBalance(), INSURANCE + 50e6, "insurance");
        assertBooks();
    }

    function test_applyDecision_liquidatePartialEscalatesWhenCollateralWouldGoNegative() public {
        openAs(alice, id, true, 1000e6);
        // At 1700 the position is 500 under water: half a close cannot leave positive collateral.
        apply_(liquidateDecision(id, 1, 1700e18, 5000));
        assertEq(mm.getPosition(id).status, uint8(IMarginManager.Status.Liquidated), "fully liquidated");
        assertEq(mm.totalBadDebt(), 500e6, "bad debt");
        assertBooks();
    }

    function test_applyDecision_liquidateBadDebtBeyondInsuranceHitsVault() public {
        openAs(alice, id, true, 100_000e6); // 1,000,000 notional
        // -30%: pnl -300,000, equity -200,000; insurance covers 100,000, the vault absorbs 100,000.
        vm.expectEmit(address(mm));
        emit IMarginManager.BadDebtCovered(id, uint128(INSURANCE), 100_000e6);
        apply_(liquidateDecision(id, 1, 1400e18, 10_000));
        assertEq(mm.insuranceBalance(), 0, "insurance drained");
        assertEq(mm.vaultBalance(), VAULT + 100_000e6 + INSURANCE, "vault got collateral and insurance");
        assertEq(mm.totalBadDebt(), 200_000e6, "bad debt");
        assertBooks();
    }

    function test_applyDecision_RevertWhen_LiquidatingHealthyPosition() public {
        openAs(alice, id, true, 1000e6);
        IMarginManager.RiskDecision memory d = liquidateDecision(id, 1, 1850e18, 10_000);
        IMarginManager.Quorum memory q = signed(d);
        // At 1850 equity is exactly the requirement (250): not liquidatable.
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotLiquidatable.selector, id, int256(250e6), 250e6));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_CloseFactorZero() public {
        openAs(alice, id, true, 1000e6);
        IMarginManager.RiskDecision memory d = liquidateDecision(id, 1, 1840e18, 0);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.CloseFactorOutOfRange.selector, 0));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_CloseFactorAbove10000() public {
        openAs(alice, id, true, 1000e6);
        IMarginManager.RiskDecision memory d = liquidateDecision(id, 1, 1840e18, 10_001);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.CloseFactorOutOfRange.selector, 10_001));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_PriceStale() public {
        openAs(alice, id, true, 1000e6);
        vm.warp(block.timestamp + 100);
        IMarginManager.RiskDecision memory d = liquidateDecision(id, 1, 1840e18, 10_000);
        d.priceTimestamp = uint64(block.timestamp - 61);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginManager.PriceTooOld.selector, d.priceTimestamp, 60, block.timestamp)
        );
        mm.applyDecision(d, q);
    }

    // --- applyDecisions --------------------------------------------------------------------------------------

    function test_applyDecisions_appliesAllAndMarksNonce() public {
        openAs(alice, pid(1), true, 1000e6);
        openAs(bob, pid(2), false, 1000e6);
        IMarginManager.RiskDecision[] memory ds =
            two(liquidateDecision(pid(1), 1, 1840e18, 10_000), adjustDecision(pid(2), 1, 1000, 300, 2000));
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(7, ds);
        assertEq(mm.applyDecisions(7, validUntil, ds, q), 2, "applied");
        assertEq(mm.isBatchNonceUsed(7), true, "nonce used");
        assertEq(mm.isBatchNonceUsed(8), false, "other nonce free");
        assertEq(mm.getPosition(pid(1)).status, uint8(IMarginManager.Status.Liquidated), "liquidated");
        assertEq(mm.getPosition(pid(2)).maintenanceMarginBps, 250, "tightening waits for grace");
        assertBooks();
    }

    /// @dev A batch keeps its books in memory until the end: the second bad debt must see the insurance the first
    ///      one already used, not the stored balance.
    function test_applyDecisions_twoBadDebtsShareTheInsuranceInOrder() public {
        openAs(alice, pid(1), true, 50_000e6); // 500,000 notional each
        openAs(bob, pid(2), true, 50_000e6);
        // -30%: pnl -150,000, equity -100,000 each; the insurance (100,000) covers the first, the vault the second.
        IMarginManager.RiskDecision[] memory ds =
            two(liquidateDecision(pid(1), 1, 1400e18, 10_000), liquidateDecision(pid(2), 1, 1400e18, 10_000));
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(1, ds);
        vm.expectEmit(address(mm));
        emit IMarginManager.BadDebtCovered(pid(1), uint128(INSURANCE), 0);
        vm.expectEmit(address(mm));
        emit IMarginManager.BadDebtCovered(pid(2), 0, 100_000e6);
        assertEq(mm.applyDecisions(1, validUntil, ds, q), 2, "both liquidated");
        assertEq(mm.insuranceBalance(), 0, "insurance drained");
        assertEq(mm.vaultBalance(), VAULT + 100_000e6 + INSURANCE, "vault got both collaterals and the insurance");
        assertEq(mm.totalBadDebt(), 200_000e6, "bad debt");
        assertEq(mm.totalCollateral(), 0, "collateral released");
        assertBooks();
    }

    function test_applyDecisions_skipsPositionToppedUpToHealthWithEvent() public {
        openAs(alice, pid(1), true, 1000e6);
        openAs(bob, pid(2), true, 1000e6);
        IMarginManager.RiskDecision[] memory ds =
            two(liquidateDecision(pid(1), 1, 1840e18, 10_000), liquidateDecision(pid(2), 1, 1840e18, 10_000));
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(1, ds);
        vm.prank(alice);
        mm.addCollateral(pid(1), 500e6); // the race: the top-up lands first
        bytes32 digest_ = mm.decisionDigest(ds[0]);
        vm.expectEmit(address(mm));
        emit IMarginManager.DecisionSkipped(pid(1), uint8(IMarginManager.SkipReason.NotLiquidatable), digest_);
        assertEq(mm.applyDecisions(1, validUntil, ds, q), 1, "one applied");
        assertEq(mm.getPosition(pid(1)).status, uint8(IMarginManager.Status.Open), "topped-up survives");
        assertEq(mm.getPosition(pid(2)).status, uint8(IMarginManager.Status.Liquidated), "other liquidated");
    }

    function test_applyDecisions_skipsEveryReasonWithoutReverting() public {
        openAs(alice, pid(1), true, 1000e6);
        IMarginManager.RiskDecision[] memory ds = new IMarginManager.RiskDecision[](6);
        ds[0] = liquidateDecision(pid(1), 1, 1900e18, 10_000); // healthy
        ds[1] = liquidateDecision(pid(9), 1, 1840e18, 10_000); // unknown position
        ds[2] = closeDecision(pid(1), alice, 1, PRICE); // CLOSE is the trader's
        ds[3] = adjustDecision(pid(1), 1, 2000, 900, 0); // step too large
        ds[4] = liquidateDecision(pid(1), 1, 0, 10_000); // zero price
        ds[5] = adjustDecision(pid(1), 1, 2000, 250, 0);
        ds[5].modelHash = keccak256("unregistered");
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(2, ds);
        vm.recordLogs();
        assertEq(mm.applyDecisions(2, validUntil, ds, q), 0, "nothing applied");
        uint8[] memory want = new uint8[](6);
        want[0] = uint8(IMarginManager.SkipReason.NotLiquidatable);
        want[1] = uint8(IMarginManager.SkipReason.PositionNotOpen);
        want[2] = uint8(IMarginManager.SkipReason.WrongKind);
        want[3] = uint8(IMarginManager.SkipReason.RiskBounds);
        want[4] = uint8(IMarginManager.SkipReason.BadPrice);
        want[5] = uint8(IMarginManager.SkipReason.ModelNotAllowed);
        _assertSkipReasons(want);
    }

    function test_applyDecisions_skipsRemainingReasons() public {
        bytes32 a = openAs(alice, pid(1), true, 1000e6);
        bytes32 b = openAs(bob, pid(2), true, 1000e6);
        IMarginManager.RiskDecision memory onBtc = openDecision(pid(3), alice, true, 1000e6, 10_000e6);
        onBtc.marketId = BTC;
        IMarginManager.Quorum memory q0 = signed(onBtc);
        vm.prank(alice);
        mm.openPosition(onBtc, q0);
        vm.startPrank(guardian);
        mm.freezePosition(b, true);
        mm.setMarketMode(BTC, uint8(IMarginManager.MarketMode.Frozen));
        vm.stopPrank();
        vm.warp(block.timestamp + 100);

        IMarginManager.RiskDecision[] memory ds = new IMarginManager.RiskDecision[](7);
        ds[0] = liquidateDecision(a, 1, 1840e18, 10_000);
        ds[0].marketId = BTC; // not the position's market
        ds[1] = liquidateDecision(pid(3), 1, 1840e18, 10_000);
        ds[1].marketId = BTC; // market frozen
        ds[2] = liquidateDecision(b, 2, 1840e18, 10_000); // position frozen
        ds[3] = liquidateDecision(a, 1, 1840e18, 10_000);
        ds[3].validUntil = uint64(block.timestamp - 1); // expired item in a live batch
        ds[4] = liquidateDecision(a, 1, 1840e18, 10_000);
        ds[4].priceTimestamp = uint64(block.timestamp - 61); // older than maxPriceAge
        ds[5] = liquidateDecision(a, 1, 1840e18, 0); // close factor zero
        ds[6] = adjustDecision(a, 1, 6000, 250, 0); // cap above the market's
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(9, ds);
        vm.recordLogs();
        assertEq(mm.applyDecisions(9, validUntil, ds, q), 0, "nothing applied");
        uint8[] memory want = new uint8[](7);
        want[0] = uint8(IMarginManager.SkipReason.MarketMismatch);
        want[1] = uint8(IMarginManager.SkipReason.MarketFrozen);
        want[2] = uint8(IMarginManager.SkipReason.PositionFrozen);
        want[3] = uint8(IMarginManager.SkipReason.Expired);
        want[4] = uint8(IMarginManager.SkipReason.BadPrice);
        want[5] = uint8(IMarginManager.SkipReason.RiskBounds);
        want[6] = uint8(IMarginManager.SkipReason.RiskBounds);
        _assertSkipReasons(want);
    }

    function test_applyDecisions_skipsPriceBeforeLastChange() public {
        bytes32 a = openAs(alice, pid(1), true, 1000e6);
        vm.warp(block.timestamp + 10);
        apply_(adjustDecision(a, 1, 2000, 200, 1000)); // a change at +10 s
        IMarginManager.RiskDecision memory d = liquidateDecision(a, 2, 1840e18, 10_000);
        d.priceTimestamp = uint64(block.timestamp - 1);
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(10, one(d));
        vm.recordLogs();
        assertEq(mm.applyDecisions(10, validUntil, one(d), q), 0, "skipped");
        uint8[] memory want = new uint8[](1);
        want[0] = uint8(IMarginManager.SkipReason.BadPrice);
        _assertSkipReasons(want);
    }

    // --- liquidations of positions in profit (a tightened margin can make a winner liquidatable) -------------

    /// @dev 20x long at 4%, tightened to 6.5% and matured; at +1% the equity (1200) is below 1300.
    function _winnerAfterTightening() internal returns (bytes32 id) {
        IMarginManager.RiskDecision memory d = openDecision(pid(1), alice, true, 1000e6, 20_000e6);
        d.maintenanceMarginBps = 400;
        IMarginManager.Quorum memory q = signed(d);
        vm.prank(alice);
        id = mm.openPosition(d, q);
        apply_(adjustDecision(id, 1, 2000, 650, 0));
        vm.warp(block.timestamp + 3600);
    }

    function test_applyDecision_liquidateInProfitPaysFromVault() public {
        bytes32 id = _winnerAfterTightening();
        uint256 before = usdc.balanceOf(alice);
        apply_(liquidateDecision(id, 2, 2020e18, 10_000));
        // Equity 1200, penalty 1% of 20,000 = 200: the trader gets 1000, the vault pays the 200 profit.
        assertEq(usdc.balanceOf(alice) - before, 1000e6, "payout");
        assertEq(mm.vaultBalance(), VAULT - 200e6, "vault paid the profit");
        assertEq(mm.insuranceBalance(), INSURANCE + 200e6, "penalty");
        assertBooks();
    }

    function test_applyDecision_liquidatePartialInProfitPaysFromVault() public {
        bytes32 id = _winnerAfterTightening();
        apply_(liquidateDecision(id, 2, 2020e18, 5000));
        IMarginManager.Position memory p = mm.getPosition(id);
        assertEq(p.collateral, 1000e6, "1000 + 100 profit - 100 penalty");
        assertEq(p.size, 10_000e6, "half left");
        assertEq(mm.vaultBalance(), VAULT - 100e6, "vault paid the part's profit");
        assertBooks();
    }

    function test_applyDecision_RevertWhen_VaultCannotPayLiquidationProfit() public {
        bytes32 id = _winnerAfterTightening();
        vm.prank(admin);
        mm.withdrawLiquidity(VAULT - 50e6);
        IMarginManager.RiskDecision memory d = liquidateDecision(id, 2, 2020e18, 10_000);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InsufficientLiquidity.selector, 200e6, 50e6));
        mm.applyDecision(d, q);
        d.closeFactorBps = 5000;
        q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InsufficientLiquidity.selector, 100e6, 50e6));
        mm.applyDecision(d, q);
    }

    function test_applyDecisions_skipsWhenVaultCannotPayProfit() public {
        bytes32 id = _winnerAfterTightening();
        vm.prank(admin);
        mm.withdrawLiquidity(VAULT - 50e6);
        IMarginManager.RiskDecision[] memory ds =
            two(liquidateDecision(id, 2, 2020e18, 10_000), liquidateDecision(id, 2, 2020e18, 5000));
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(11, ds);
        vm.recordLogs();
        assertEq(mm.applyDecisions(11, validUntil, ds, q), 0, "both skipped");
        uint8[] memory want = new uint8[](2);
        want[0] = uint8(IMarginManager.SkipReason.InsufficientLiquidity);
        want[1] = uint8(IMarginManager.SkipReason.InsufficientLiquidity);
        _assertSkipReasons(want);
        assertEq(mm.getPosition(id).version, 2, "untouched");
    }

    function test_applyDecisions_RevertWhen_NonceReused() public {
        openAs(alice, pid(1), true, 1000e6);
        IMarginManager.RiskDecision[] memory ds = one(adjustDecision(pid(1), 1, 2000, 200, 0));
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(3, ds);
        mm.applyDecisions(3, validUntil, ds, q);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.BatchNonceUsed.selector, 3));
        mm.applyDecisions(3, validUntil, ds, q);
    }

    function test_applyDecisions_RevertWhen_BatchExpired() public {
        IMarginManager.RiskDecision[] memory ds = one(adjustDecision(pid(1), 1, 2000, 200, 0));
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(4, ds);
        vm.warp(validUntil + 1);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.DecisionExpired.selector, validUntil, validUntil + 1));
        mm.applyDecisions(4, validUntil, ds, q);
    }

    function test_applyDecisions_RevertWhen_Empty() public {
        IMarginManager.RiskDecision[] memory ds = new IMarginManager.RiskDecision[](0);
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(5, ds);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.EmptyBatch.selector));
        mm.applyDecisions(5, validUntil, ds, q);
    }

    function test_applyDecisions_RevertWhen_Halted() public {
        IMarginManager.RiskDecision[] memory ds = one(adjustDecision(pid(1), 1, 2000, 200, 0));
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(6, ds);
        vm.prank(admin);
        mm.halt();
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.SystemHalted.selector));
        mm.applyDecisions(6, validUntil, ds, q);
    }

    // --- helpers ---------------------------------------------------------------------------------------------

    function _expectOpenRevert(IMarginManager.RiskDecision memory d, bytes memory err) internal {
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(err);
        vm.prank(d.trader);
        mm.openPosition(d, q);
    }
}
