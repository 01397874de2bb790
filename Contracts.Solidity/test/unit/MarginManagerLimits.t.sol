// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginManager} from "../../src/interfaces/IMarginManager.sol";
import {MockPriceFeed} from "../../src/mocks/MockPriceFeed.sol";
import {MarginManagerBase} from "../utils/MarginManagerBase.sol";

/// @notice A feed that always reverts, as a broken aggregator would.
contract RevertingFeed {
    function decimals() external pure returns (uint8) {
        return 8;
    }

    function latestRoundData() external pure returns (uint80, int256, uint256, uint256, uint80) {
        revert("feed down");
    }
}

/// @notice Version 2 market limits, single points: each refusal with its error, its skip reason in a batch, the
///         escrow, the emergency exit's conditions and the mock feed's roles. Boundaries are fuzzed in
///         test/fuzz/MarginManagerLimitsFuzz.t.sol.
contract MarginManagerLimitsTest is MarginManagerBase {
    MockPriceFeed internal feed;

    function setUp() public override {
        super.setUp();
        feed = newFeed(PRICE);
        setLimits(ETH, guardWithFeed(feed));
    }

    function test_getMarketLimits_returnsWhatWasSet() public {
        IMarginManager.MarketLimits memory l = guardWithFeed(feed);
        l.maxDecisionTtl = 30;
        l.maxOpenInterestLong = 7;
        l.maxOpenInterestShort = 8;
        l.borrowRateBpsPerDay = 9;
        l.oracleLivenessTimeout = 3600;
        vm.expectEmit(address(mm));
        emit IMarginManager.MarketLimitsSet(ETH, l);
        setLimits(ETH, l);
        IMarginManager.MarketLimits memory got = mm.getMarketLimits(ETH);
        assertEq(keccak256(abi.encode(got)), keccak256(abi.encode(l)), "round trip");
    }

    function test_setMarketLimits_RevertWhen_MarketUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.MarketNotListed.selector, keccak256("XRP-USD")));
        setLimits(keccak256("XRP-USD"), noLimits());
    }

    function test_setMarketLimits_RevertWhen_FieldOutOfRange() public {
        IMarginManager.MarketLimits memory l = guardWithFeed(feed);
        l.maxFeedDeviationBps = 10_001;
        _expectBadLimits(l, "maxFeedDeviationBps");
        l = guardWithFeed(feed);
        l.borrowRateBpsPerDay = 10_001;
        _expectBadLimits(l, "borrowRateBpsPerDay");
        l = guardWithFeed(feed);
        l.maxDecisionTtl = uint64(type(uint32).max) + 1;
        _expectBadLimits(l, "maxDecisionTtl");
        l = guardWithFeed(feed);
        l.priceFeed = address(0); // a deviation bound needs a feed
        _expectBadLimits(l, "priceFeed");
        l = guardWithFeed(feed);
        l.priceFeed = address(0xdead); // no code: decimals() cannot be read
        _expectBadLimits(l, "priceFeed");
    }

    function _expectBadLimits(IMarginManager.MarketLimits memory l, string memory field) internal {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidMarketLimits.selector, ETH, field));
        setLimits(ETH, l);
    }

    function test_openPosition_RevertWhen_PriceDeviatesFromFeed() public {
        IMarginManager.RiskDecision memory d = openDecision(pid(1), alice, true, 1000e6, 10_000e6);
        d.markPriceE18 = 2041e18; // 2.05% above the feed's 2000
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginManager.PriceDeviatesFromFeed.selector, d.markPriceE18, 2000e18, 200)
        );
        vm.prank(alice);
        mm.openPosition(d, q);
    }

    function test_applyDecision_RevertWhen_FeedStale() public {
        openAs(alice, pid(1), true, 1000e6);
        vm.warp(block.timestamp + 121);
        IMarginManager.RiskDecision memory d = liquidateDecision(pid(1), 1, 1840e18, 10_000);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.FeedUnavailable.selector, address(feed), 2000e8, T0));
        mm.applyDecision(d, q);
    }

    function test_applyDecision_RevertWhen_FeedReverts() public {
        IMarginManager.MarketLimits memory l = guardWithFeed(feed);
        l.priceFeed = address(new RevertingFeed());
        setLimits(ETH, l);
        IMarginManager.RiskDecision memory d = openDecision(pid(1), alice, true, 1000e6, 10_000e6);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.FeedUnavailable.selector, l.priceFeed, 0, 0));
        vm.prank(alice);
        mm.openPosition(d, q);
    }

    function test_applyDecisions_skipsWithTheNewReasons() public {
        openAs(alice, pid(1), true, 1000e6);
        IMarginManager.MarketLimits memory l = guardWithFeed(feed);
        l.maxDecisionTtl = 60;
        setLimits(ETH, l);
        setFeedPrice(feed, 1840e18);
        IMarginManager.RiskDecision[] memory ds = new IMarginManager.RiskDecision[](3);
        ds[0] = liquidateDecision(pid(1), 1, 1700e18, 10_000); // 7.6% below the feed
        ds[1] = liquidateDecision(pid(1), 1, 1840e18, 10_000);
        ds[2] = liquidateDecision(pid(1), 1, 1840e18, 10_000);
        ds[2].priceTimestamp = uint64(block.timestamp + 3); // beyond the 2 s drift
        for (uint256 i; i < 3; ++i) {
            ds[i].validUntil = ds[i].priceTimestamp + 60;
        }
        ds[1].validUntil += 1; // lives longer than the TTL
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(1, ds);
        vm.recordLogs();
        assertEq(mm.applyDecisions(1, validUntil, ds, q), 0, "all skipped");
        uint8[] memory want = new uint8[](3);
        want[0] = uint8(IMarginManager.SkipReason.FeedDeviation);
        want[1] = uint8(IMarginManager.SkipReason.DecisionTtl);
        want[2] = uint8(IMarginManager.SkipReason.BadPrice);
        _assertSkipReasons(want);
    }

    function test_applyDecisions_skipsFeedUnavailable() public {
        openAs(alice, pid(1), true, 1000e6);
        vm.warp(block.timestamp + 121);
        IMarginManager.RiskDecision memory d = liquidateDecision(pid(1), 1, 1840e18, 10_000);
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(1, one(d));
        vm.recordLogs();
        assertEq(mm.applyDecisions(1, validUntil, one(d), q), 0, "skipped");
        uint8[] memory want = new uint8[](1);
        want[0] = uint8(IMarginManager.SkipReason.FeedUnavailable);
        _assertSkipReasons(want);
    }

    function test_openPosition_RevertWhen_OpenInterestCapExceeded() public {
        IMarginManager.MarketLimits memory l = guardWithFeed(feed);
        l.maxOpenInterestLong = 15_000e6;
        setLimits(ETH, l);
        openAs(alice, pid(1), true, 1000e6); // 10,000 long
        openAs(bob, pid(2), false, 1000e6); // shorts have no cap
        IMarginManager.RiskDecision memory d = openDecision(pid(3), bob, true, 1000e6, 10_000e6);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginManager.OpenInterestCapExceeded.selector, ETH, true, 20_000e6, 15_000e6)
        );
        vm.prank(bob);
        mm.openPosition(d, q);
        (uint128 longs, uint128 shorts) = mm.openInterest(ETH);
        assertEq(longs, 10_000e6, "long OI");
        assertEq(shorts, 10_000e6, "short OI");
    }

    function test_openInterest_fallsWithSettlements() public {
        openAs(alice, pid(1), true, 1000e6);
        setFeedPrice(feed, 1840e18);
        apply_(liquidateDecision(pid(1), 1, 1840e18, 5000));
        (uint128 longs,) = mm.openInterest(ETH);
        assertEq(longs, 5000e6, "half closed");
        IMarginManager.RiskDecision memory d = closeDecision(pid(1), alice, 2, 1840e18);
        IMarginManager.Quorum memory q = signed(d);
        vm.prank(alice);
        mm.closePosition(d, q);
        (longs,) = mm.openInterest(ETH);
        assertEq(longs, 0, "closed");
    }

    function test_borrowFee_countsInHealthAndGoesToTheVault() public {
        IMarginManager.MarketLimits memory l = guardWithFeed(feed);
        l.borrowRateBpsPerDay = 100; // 1% of notional a day
        setLimits(ETH, l);
        openAs(alice, pid(1), true, 1000e6); // 10,000 notional, requirement 250
        vm.warp(block.timestamp + 7 days);
        setFeedPrice(feed, PRICE);
        assertEq(mm.accruedBorrowFee(pid(1)), 700e6, "7% of the notional");
        // At the entry price the equity is 1000 - 700 = 300, still above 250; 1% down makes it 200.
        assertTrue(!mm.isLiquidatable(pid(1), PRICE), "healthy at entry");
        assertTrue(mm.isLiquidatable(pid(1), 1980e18), "the fee counts in health");
        IMarginManager.RiskDecision memory d = closeDecision(pid(1), alice, 1, PRICE);
        IMarginManager.Quorum memory q = signed(d);
        uint256 before = usdc.balanceOf(alice);
        vm.expectEmit(address(mm));
        emit IMarginManager.BorrowFeeCharged(pid(1), 700e6);
        vm.prank(alice);
        mm.closePosition(d, q);
        assertEq(usdc.balanceOf(alice) - before, 300e6, "collateral less the fee");
        assertEq(mm.vaultBalance(), VAULT + 700e6, "fee paid to the vault");
        assertBooks();
    }

    function test_borrowFee_rateChangeCheckpointsTheIndex() public {
        IMarginManager.MarketLimits memory l = guardWithFeed(feed);
        l.borrowRateBpsPerDay = 100;
        setLimits(ETH, l);
        openAs(alice, pid(1), true, 1000e6);
        vm.warp(block.timestamp + 1 days);
        l.borrowRateBpsPerDay = 50;
        setLimits(ETH, l);
        vm.warp(block.timestamp + 1 days);
        assertEq(mm.accruedBorrowFee(pid(1)), 150e6, "1% then 0.5% of 10,000");
        (uint64 marketIndex, uint64 positionIndex) = mm.borrowIndex(pid(1));
        assertEq(marketIndex - positionIndex, 150 * 86_400, "index in bps-seconds");
    }

    function test_emergencyClose_afterOracleSilence() public {
        IMarginManager.MarketLimits memory l = guardWithFeed(feed);
        l.oracleLivenessTimeout = 1600;
        setLimits(ETH, l);
        openAs(alice, pid(1), true, 1000e6);
        assertEq(mm.emergencyCloseAvailableAt(ETH), T0 + 1700, "timeout + timeout/16 after the stamp");
        vm.warp(T0 + 1699);
        setFeedPrice(feed, 1900e18);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.OracleStillLive.selector, ETH, T0 + 1700));
        vm.prank(alice);
        mm.emergencyClose(pid(1));
        vm.warp(T0 + 1700);
        vm.expectEmit(address(mm));
        emit IMarginManager.EmergencyClosed(pid(1), 1900e18, -500e6, 0, 500e6, 0);
        vm.prank(alice);
        mm.emergencyClose(pid(1));
        assertEq(mm.getPosition(pid(1)).status, uint8(IMarginManager.Status.Closed), "closed");
        assertBooks();
    }

    function test_emergencyClose_afterALongHalt() public {
        IMarginManager.MarketLimits memory l = guardWithFeed(feed);
        l.oracleLivenessTimeout = 1 days;
        setLimits(ETH, l);
        openAs(alice, pid(1), true, 1000e6);
        vm.warp(T0 + 1 hours);
        setFeedPrice(feed, PRICE);
        apply_(adjustDecision(pid(1), 1, 2000, 200, 0)); // the oracle is alive...
        vm.prank(guardian);
        mm.halt(); // ...but the system is halted
        vm.warp(T0 + 1 hours + 1 days);
        setFeedPrice(feed, PRICE);
        vm.prank(alice);
        mm.emergencyClose(pid(1));
        assertEq(mm.getPosition(pid(1)).status, uint8(IMarginManager.Status.Closed), "closed while halted");
    }

    function test_emergencyClose_RevertWhen_NoTimeoutOrNoFeedOrNotTraderOrFrozen() public {
        openAs(alice, pid(1), true, 1000e6);
        vm.warp(T0 + 30 days);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.OracleStillLive.selector, ETH, 0));
        vm.prank(alice);
        mm.emergencyClose(pid(1));
        IMarginManager.MarketLimits memory l;
        l.oracleLivenessTimeout = 60;
        setLimits(ETH, l);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NoPriceFeed.selector, ETH));
        vm.prank(alice);
        mm.emergencyClose(pid(1));
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotTrader.selector, bob, alice));
        vm.prank(bob);
        mm.emergencyClose(pid(1));
        vm.prank(guardian);
        mm.freezePosition(pid(1), true);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.PositionIsFrozen.selector, pid(1)));
        vm.prank(alice);
        mm.emergencyClose(pid(1));
    }

    function test_claim_RevertWhen_NothingToClaim() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NothingToClaim.selector, alice));
        vm.prank(alice);
        mm.claim(alice);
    }

    function test_mockPriceFeed_onlyTheUpdaterPushes() public {
        vm.expectRevert(abi.encodeWithSelector(MockPriceFeed.NotUpdater.selector, admin));
        vm.prank(admin);
        feed.updateAnswer(1);
        vm.expectRevert(abi.encodeWithSelector(MockPriceFeed.NotOwner.selector, feedUpdater));
        vm.prank(feedUpdater);
        feed.setUpdater(feedUpdater);
        vm.warp(T0 + 10);
        vm.prank(feedUpdater);
        feed.updateRoundData(1999e8, T0 + 5);
        (uint80 roundId, int256 answer,, uint256 updatedAt, uint80 answeredIn) = feed.latestRoundData();
        assertEq(uint256(roundId), 2, "second round");
        assertEq(answer, 1999e8, "answer");
        assertEq(updatedAt, T0 + 5, "dated");
        assertEq(uint256(answeredIn), 2, "answered in round");
        vm.expectRevert(abi.encodeWithSelector(MockPriceFeed.InvalidUpdatedAt.selector, T0 + 11));
        vm.prank(feedUpdater);
        feed.updateRoundData(1, T0 + 11);
    }
}
