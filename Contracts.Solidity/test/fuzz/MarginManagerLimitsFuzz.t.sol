// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginManager} from "../../src/interfaces/IMarginManager.sol";
import {MockPriceFeed} from "../../src/mocks/MockPriceFeed.sol";
import {MarginManagerBase} from "../utils/MarginManagerBase.sol";

/// @notice Version 2 boundaries with bounded inputs, checked against arithmetic written here from CONTRACT.md and
///         the README's "Version 2 surface" (not from the contract).
contract MarginManagerLimitsFuzzTest is MarginManagerBase {
    MockPriceFeed internal feed;

    function setUp() public override {
        super.setUp();
        feed = newFeed(PRICE);
    }

    function testFuzz_feedGuard_acceptsIffWithinDeviation(uint256 devSeed, uint256 offsetSeed, bool above) public {
        uint32 dev = uint32(bound(devSeed, 1, 2000));
        uint256 offset = bound(offsetSeed, 0, 3000e18 / 10); // up to 15% of the price
        IMarginManager.MarketLimits memory l = guardWithFeed(feed);
        l.maxFeedDeviationBps = dev;
        setLimits(ETH, l);
        openAs(alice, pid(1), true, 1000e6);
        IMarginManager.RiskDecision memory d = adjustDecision(pid(1), 1, 2000, 250, 100);
        d.markPriceE18 = uint128(above ? PRICE + offset : PRICE - offset);
        IMarginManager.Quorum memory q = signed(d);
        bool within = offset * 10_000 <= uint256(PRICE) * dev;
        if (!within) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IMarginManager.PriceDeviatesFromFeed.selector, d.markPriceE18, uint256(PRICE), dev
                )
            );
        }
        mm.applyDecision(d, q);
        assertEq(mm.getPosition(pid(1)).version, within ? 2 : 1, "applied iff within the guard");
    }

    function testFuzz_priceTimestamp_refusedBeyondTwoSecondsAhead(uint256 aheadSeed) public {
        uint256 ahead = bound(aheadSeed, 0, 600);
        openAs(alice, pid(1), true, 1000e6);
        IMarginManager.RiskDecision memory d = adjustDecision(pid(1), 1, 2000, 250, 100);
        d.priceTimestamp = uint64(block.timestamp + ahead);
        d.validUntil = d.priceTimestamp + 60;
        IMarginManager.Quorum memory q = signed(d);
        if (ahead > 2) {
            vm.expectRevert(
                abi.encodeWithSelector(IMarginManager.PriceInFuture.selector, d.priceTimestamp, block.timestamp)
            );
        }
        mm.applyDecision(d, q);
    }

    function testFuzz_decisionTtl_refusedIffLongerThanCap(uint256 ttlSeed, uint256 lifeSeed) public {
        uint64 ttl = uint64(bound(ttlSeed, 1, 600));
        uint64 life = uint64(bound(lifeSeed, 0, 1200));
        IMarginManager.MarketLimits memory l;
        l.maxDecisionTtl = ttl;
        setLimits(ETH, l);
        IMarginManager.RiskDecision memory d = openDecision(pid(1), alice, true, 1000e6, 10_000e6);
        d.validUntil = d.priceTimestamp + life;
        IMarginManager.Quorum memory q = signed(d);
        if (life > ttl) {
            vm.expectRevert(
                abi.encodeWithSelector(IMarginManager.DecisionTtlTooLong.selector, d.priceTimestamp, d.validUntil, ttl)
            );
        }
        vm.prank(alice);
        mm.openPosition(d, q);
    }

    function testFuzz_openInterest_neverAboveCap(uint256 capSeed, uint256[4] memory sizeSeeds) public {
        uint128 cap = uint128(bound(capSeed, 1e6, 100_000e6));
        IMarginManager.MarketLimits memory l;
        l.maxOpenInterestShort = cap;
        setLimits(ETH, l);
        uint256 oi;
        for (uint256 i; i < 4; ++i) {
            uint128 size = uint128(bound(sizeSeeds[i], 1e6, 40_000e6));
            IMarginManager.RiskDecision memory d = openDecision(pid(i + 1), bob, false, size, size);
            IMarginManager.Quorum memory q = signed(d);
            bool fits = oi + size <= cap;
            if (!fits) {
                vm.expectRevert(
                    abi.encodeWithSelector(IMarginManager.OpenInterestCapExceeded.selector, ETH, false, oi + size, cap)
                );
            }
            vm.prank(bob);
            mm.openPosition(d, q);
            if (fits) oi += size;
            (, uint128 shorts) = mm.openInterest(ETH);
            assertEq(shorts, oi, "short OI is the sum of open shorts");
            assertLe(shorts, cap, "within the cap");
        }
    }

    function testFuzz_borrowFee_matchesFormulaAndIsPaidAtClose(uint256 rateSeed, uint256 dtSeed, uint256 sizeSeed)
        public
    {
        uint32 rate = uint32(bound(rateSeed, 0, 10_000));
        uint256 dt = bound(dtSeed, 0, 30 days);
        uint128 collateral = 10_000e6;
        uint128 size = uint128(bound(sizeSeed, 1e6, 100_000e6));
        IMarginManager.MarketLimits memory l;
        l.borrowRateBpsPerDay = rate;
        setLimits(ETH, l);
        IMarginManager.RiskDecision memory d = openDecision(pid(1), alice, true, collateral, size);
        IMarginManager.Quorum memory q = signed(d);
        vm.prank(alice);
        mm.openPosition(d, q);
        vm.warp(block.timestamp + dt);
        uint256 fee = uint256(size) * rate * dt / 864_000_000;
        assertEq(mm.accruedBorrowFee(pid(1)), fee, "size x rate x seconds / (10000 x 86400), rounded down");
        // At the entry price, the equity is collateral - fee.
        uint256 requirement = uint256(size) * 250 / 10_000;
        bool unhealthy = int256(uint256(collateral)) - int256(fee) < int256(requirement);
        assertEq(mm.isLiquidatable(pid(1), PRICE), unhealthy, "the fee counts in health");
        uint256 vaultBefore = mm.vaultBalance();
        IMarginManager.RiskDecision memory c = closeDecision(pid(1), alice, 1, PRICE);
        IMarginManager.Quorum memory cq = signed(c);
        uint256 before = usdc.balanceOf(alice);
        vm.prank(alice);
        mm.closePosition(c, cq);
        uint256 charged = fee < collateral ? fee : collateral;
        assertEq(usdc.balanceOf(alice) - before, collateral - charged, "payout is collateral less the fee");
        assertEq(mm.vaultBalance() - vaultBefore, charged, "the vault received the fee");
        assertBooks();
    }

    function testFuzz_emergencyClose_onlyAfterTheTimeout(uint256 timeoutSeed, uint256 silenceSeed) public {
        uint64 timeout = uint64(bound(timeoutSeed, 16, 7 days));
        uint256 silence = bound(silenceSeed, 0, 2 * uint256(timeout));
        IMarginManager.MarketLimits memory l = guardWithFeed(feed);
        l.oracleLivenessTimeout = timeout;
        setLimits(ETH, l);
        openAs(alice, pid(1), true, 1000e6); // the last decision
        vm.warp(block.timestamp + silence);
        setFeedPrice(feed, PRICE);
        uint256 availableAt = T0 + timeout + timeout / 16;
        assertEq(mm.emergencyCloseAvailableAt(ETH), availableAt, "available at");
        if (block.timestamp < availableAt) {
            vm.expectRevert(abi.encodeWithSelector(IMarginManager.OracleStillLive.selector, ETH, availableAt));
        }
        vm.prank(alice);
        mm.emergencyClose(pid(1));
        if (block.timestamp >= availableAt) assertLe(timeout, silence, "never before a full timeout of silence");
    }

    function testFuzz_governance_delayedOpNeverRunsEarly(uint256 delaySeed, uint256 waitSeed) public {
        uint64 delay = uint64(bound(delaySeed, 1, 30 days));
        uint256 waited = bound(waitSeed, 0, 2 * uint256(delay));
        vm.startPrank(admin);
        mm.setGovernanceDelay(delay);
        mm.withdrawLiquidity(1e6);
        vm.warp(block.timestamp + waited);
        bytes32 opId = keccak256(abi.encode(uint64(0), abi.encodeCall(mm.withdrawLiquidity, (1e6))));
        if (waited < delay) {
            vm.expectRevert(
                abi.encodeWithSelector(IMarginManager.GovernanceOpNotReady.selector, opId, T0 + delay, block.timestamp)
            );
        }
        mm.executeGovernance(opId);
        vm.stopPrank();
        assertEq(mm.vaultBalance(), waited < delay ? VAULT : VAULT - 1e6, "withdrawn only after the delay");
    }

    function testFuzz_adjust_unchangedMarginKeepsPendingTightening(uint256 targetSeed, uint256 waitSeed) public {
        uint32 target = uint32(bound(targetSeed, 251, 750)); // a tightening within the 5% step
        uint256 wait = bound(waitSeed, 0, 3599);
        openAs(alice, pid(1), true, 1000e6);
        apply_(adjustDecision(pid(1), 1, 2000, target, 100));
        vm.warp(block.timestamp + wait);
        apply_(adjustDecision(pid(1), 2, 2000, 250, 200)); // the margin in force, unchanged
        (uint32 pending, uint64 at) = mm.pendingMargin(pid(1));
        assertEq(pending, target, "still pending");
        assertEq(at, T0 + 3600, "at its first date");
    }
}
