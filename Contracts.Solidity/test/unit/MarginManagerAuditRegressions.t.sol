// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginManager} from "../../src/interfaces/IMarginManager.sol";
import {MockPriceFeed} from "../../src/mocks/MockPriceFeed.sol";
import {MockUSDC} from "../../src/mocks/MockUSDC.sol";
import {MarginManagerBase} from "../utils/MarginManagerBase.sol";
import {BlocklistUSDC, FeeOnTransferUSDC} from "../utils/TestTokens.sol";

/// @notice The exploit sequences of the first audit (issue 16), each as it was played against version 1: every test
///         here fails on version 1 and passes on version 2.
contract MarginManagerAuditRegressionsTest is MarginManagerBase {
    bytes32 internal constant LONG = keccak256("long leg");
    bytes32 internal constant SHORT = keccak256("short leg");

    /// @dev High: a hedged trader kept the losing leg of a 20x pair alive through six signed LIQUIDATEs with six
    ///      1-unit top-ups, then closed the winning leg paid by the insurance fund. Now the first LIQUIDATE that
    ///      finds the leg unhealthy lands, dust top-up or not.
    function test_dustTopUpsCannotKeepLosingLegAlive() public {
        _openPair();
        uint64 nonce = 1;
        for (uint256 k = 1; k <= 6; ++k) {
            uint128 price = uint128(2000e18 - 40e18 * k); // -2% a round
            if (mm.getPosition(LONG).status != uint8(IMarginManager.Status.Open)) break;
            IMarginManager.RiskDecision memory d = liquidateDecision(LONG, mm.getPosition(LONG).version, price, 10_000);
            (uint64 validUntil, IMarginManager.Quorum memory q) = batch(nonce, one(d));
            vm.prank(alice);
            mm.addCollateral(LONG, 1); // the trader races every decision with a 1-unit top-up
            mm.applyDecisions(nonce++, validUntil, one(d), q);
            vm.warp(block.timestamp + 1);
        }
        assertEq(mm.getPosition(LONG).status, uint8(IMarginManager.Status.Liquidated), "losing leg liquidated");
        // The winning leg closes at the last price; nothing of it is paid by bad debt on the other leg.
        IMarginManager.RiskDecision memory c = closeDecision(SHORT, alice, 1, 1760e18);
        IMarginManager.Quorum memory cq = signed(c);
        vm.prank(alice);
        mm.closePosition(c, cq);
        assertEq(mm.totalBadDebt(), 0, "no bad debt");
        assertEq(mm.insuranceBalance(), INSURANCE + 200e6, "insurance only gained the penalty");
        assertBooks();
    }

    /// @dev High: any stranger could block any CLOSE for 1 unit plus gas.
    function test_strangerTopUpCannotBlockClose() public {
        openAs(alice, LONG, true, 1000e6);
        IMarginManager.RiskDecision memory d = closeDecision(LONG, alice, 1, 2100e18);
        IMarginManager.Quorum memory q = signed(d);
        vm.prank(bob);
        mm.addCollateral(LONG, 1);
        vm.prank(alice);
        mm.closePosition(d, q);
        assertEq(mm.getPosition(LONG).status, uint8(IMarginManager.Status.Closed), "closed despite the top-up");
        assertBooks();
    }

    /// @dev Low: a LIQUIDATE signed in a dip with a future priceTimestamp switched the age checks off and could be
    ///      held back until the price recovered.
    function test_futureDatedPriceCannotBeHeldBack() public {
        openAs(alice, LONG, true, 1000e6);
        IMarginManager.RiskDecision memory d = liquidateDecision(LONG, 1, 1840e18, 10_000);
        d.priceTimestamp = uint64(block.timestamp + 1800);
        d.validUntil = uint64(block.timestamp + 1900);
        IMarginManager.Quorum memory q = signed(d);
        vm.warp(block.timestamp + 1000); // the price has long recovered
        vm.expectRevert(
            abi.encodeWithSelector(IMarginManager.PriceInFuture.selector, d.priceTimestamp, block.timestamp)
        );
        mm.applyDecision(d, q);
    }

    /// @dev High (centralisation): the admin could install its own signers and withdraw the vault in one block.
    function test_adminCannotSwapSignersAndDrainInOneBlock() public {
        vm.startPrank(admin);
        mm.setGovernanceDelay(2 days);
        address[] memory own = new address[](1);
        own[0] = admin;
        mm.setSigners(own, 1);
        mm.withdrawLiquidity(VAULT);
        vm.stopPrank();
        assertEq(mm.threshold(), THRESHOLD, "signers unchanged");
        assertEq(mm.signers()[0], signerAddresses()[0], "signer set unchanged");
        assertEq(mm.vaultBalance(), VAULT, "vault untouched");
        assertEq(mm.governanceNonce(), 2, "both queued");
    }

    /// @dev High (centralisation): setMarket could retroactively set a 100% penalty, no grace and a 10000 bps step.
    function test_adminCannotRetroactivelyLoosenMarket() public {
        vm.prank(admin);
        mm.setGovernanceDelay(2 days);
        IMarginManager.MarketConfig memory cfg = marketConfig();
        cfg.liquidationPenaltyBps = 10_000;
        cfg.tighteningGrace = 0;
        cfg.maxMarginStepBps = 10_000;
        vm.prank(admin);
        mm.setMarket(ETH, cfg);
        (IMarginManager.MarketConfig memory live,) = mm.getMarket(ETH);
        assertEq(live.liquidationPenaltyBps, 100, "penalty unchanged");
        assertEq(live.tighteningGrace, 3600, "grace unchanged");
        assertEq(live.maxMarginStepBps, 500, "step unchanged");
    }

    /// @dev Medium: a signed OPEN was a free option for up to 120 s; the market's TTL cap bounds it.
    function test_signedOpenIsNoLongFreeOption() public {
        IMarginManager.MarketLimits memory l;
        l.maxDecisionTtl = 15;
        setLimits(ETH, l);
        IMarginManager.RiskDecision memory d = openDecision(LONG, alice, true, 1000e6, 10_000e6);
        d.validUntil = d.priceTimestamp + 120;
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginManager.DecisionTtlTooLong.selector, d.priceTimestamp, d.validUntil, 15)
        );
        vm.prank(alice);
        mm.openPosition(d, q);
    }

    /// @dev Low: with the oracle dead, collateral was locked forever.
    function test_deadOracleDoesNotLockCollateral() public {
        MockPriceFeed feed = newFeed(PRICE);
        IMarginManager.MarketLimits memory l = guardWithFeed(feed);
        l.oracleLivenessTimeout = 1 days;
        setLimits(ETH, l);
        openAs(alice, LONG, true, 1000e6);
        vm.warp(block.timestamp + 2 days);
        setFeedPrice(feed, 2100e18);
        uint256 before = usdc.balanceOf(alice);
        vm.prank(alice);
        mm.emergencyClose(LONG);
        assertEq(usdc.balanceOf(alice) - before, 1500e6, "collateral + 5% of 10x at the feed's price");
        assertBooks();
    }

    /// @dev Low: delisting a market also blocked its liquidations.
    function test_delistedMarketStillLiquidates() public {
        openAs(alice, LONG, true, 1000e6);
        IMarginManager.MarketConfig memory cfg = marketConfig();
        cfg.listed = false;
        vm.prank(admin);
        mm.setMarket(ETH, cfg);
        apply_(liquidateDecision(LONG, 1, 1840e18, 10_000));
        assertEq(mm.getPosition(LONG).status, uint8(IMarginManager.Status.Liquidated), "liquidated");
    }

    /// @dev Info: an ADJUST with an unchanged margin cancelled a pending tightening.
    function test_unchangedMarginAdjustKeepsPendingTightening() public {
        openAs(alice, LONG, true, 1000e6);
        apply_(adjustDecision(LONG, 1, 2000, 600, 1000)); // 2.5% -> 6% after the grace
        apply_(adjustDecision(LONG, 2, 2000, 250, 1100)); // the margin in force, unchanged
        (uint32 pending, uint64 at) = mm.pendingMargin(LONG);
        assertEq(pending, 600, "tightening still pending");
        assertEq(at, T0 + 3600, "at its original date");
        vm.warp(T0 + 3600);
        assertEq(mm.getPosition(LONG).maintenanceMarginBps, 600, "and it takes effect");
    }

    function _openPair() internal {
        IMarginManager.RiskDecision memory d = openDecision(LONG, alice, true, 1000e6, 20_000e6);
        IMarginManager.Quorum memory q = signed(d);
        vm.prank(alice);
        mm.openPosition(d, q);
        d = openDecision(SHORT, alice, false, 1000e6, 20_000e6);
        q = signed(d);
        vm.prank(alice);
        mm.openPosition(d, q);
    }
}

/// @notice Medium: a payout the token refuses (a USDC-blocklisted trader) reverted the whole batch and the single
///         LIQUIDATE of that trader.
contract MarginManagerBlockedReceiverTest is MarginManagerBase {
    function newToken() internal override returns (MockUSDC) {
        return new BlocklistUSDC();
    }

    function test_blockedReceiverDoesNotRevertBatch() public {
        openAs(alice, pid(1), true, 1000e6);
        openAs(bob, pid(2), true, 1000e6);
        BlocklistUSDC(address(usdc)).setBlocked(alice, true);
        IMarginManager.RiskDecision[] memory ds =
            two(liquidateDecision(pid(1), 1, 1840e18, 10_000), liquidateDecision(pid(2), 1, 1840e18, 10_000));
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(1, ds);
        vm.expectEmit(address(mm));
        emit IMarginManager.PayoutEscrowed(pid(1), alice, 100e6);
        assertEq(mm.applyDecisions(1, validUntil, ds, q), 2, "both applied");
        assertEq(mm.claimable(alice), 100e6, "equity after the penalty escrowed");
        assertBooks();
        vm.prank(alice);
        mm.claim(address(0xA11CE2));
        assertEq(usdc.balanceOf(address(0xA11CE2)), 100e6, "claimed to another address");
        assertEq(mm.claimable(alice), 0, "claimed once");
        assertBooks();
    }

    function test_blockedReceiverDoesNotRevertSingleLiquidate() public {
        openAs(alice, pid(1), true, 1000e6);
        BlocklistUSDC(address(usdc)).setBlocked(alice, true);
        apply_(liquidateDecision(pid(1), 1, 1840e18, 10_000));
        assertEq(mm.getPosition(pid(1)).status, uint8(IMarginManager.Status.Liquidated), "liquidated");
        assertEq(mm.claimable(alice), 100e6, "escrowed");
        assertBooks();
    }
}

/// @notice Info: fee-on-transfer collateral broke the books (credited more than arrived).
contract MarginManagerFeeOnTransferTest is MarginManagerBase {
    function newToken() internal override returns (MockUSDC) {
        return new FeeOnTransferUSDC();
    }

    function test_feeOnTransferKeepsBooks() public {
        assertBooks(); // the vault and the insurance fund were funded in setUp
        openAs(alice, pid(1), true, 1000e6);
        assertEq(mm.getPosition(pid(1)).collateral, 990e6, "the position holds what arrived");
        vm.prank(alice);
        mm.addCollateral(pid(1), 100e6);
        assertEq(mm.getPosition(pid(1)).collateral, 1089e6, "top-up credited net of the fee");
        assertBooks();
    }
}
