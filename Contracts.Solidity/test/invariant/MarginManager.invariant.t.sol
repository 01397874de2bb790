// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginManager} from "../../src/interfaces/IMarginManager.sol";
import {MockUSDC} from "../../src/mocks/MockUSDC.sol";
import {MarginManagerBase} from "../utils/MarginManagerBase.sol";
import {BlocklistUSDC} from "../utils/TestTokens.sol";
import {MarginHandler} from "./handlers/MarginHandler.sol";

/// @notice Each invariant runs its own campaign of 64 sequences × 200 calls (foundry.toml): 89,600 calls in all.
/// @notice Invariants over random sequences of opens, top-ups, adjusts, liquidations (single and batched, some
///         stale, some at wicks the feed contradicts), closes, emergency closes, freezes, blocklisted receivers and
///         claims, pool funding, price moves and replays of everything that once succeeded, on markets with
///         every version 2 limit on (feed guard, TTL, open-interest caps on ETH, a borrow fee, a liveness timeout).
contract MarginManagerInvariantTest is MarginManagerBase {
    MarginHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new MarginHandler(mm, usdc, guardian, MODEL);
        for (uint256 m; m < 2; ++m) {
            IMarginManager.MarketLimits memory l;
            l.priceFeed = address(handler.feeds(m));
            l.maxFeedDeviationBps = uint32(handler.FEED_GUARD_BPS());
            l.maxFeedAge = 120;
            l.maxDecisionTtl = 60;
            l.borrowRateBpsPerDay = m == 0 ? 50 : 5;
            l.oracleLivenessTimeout = 1800;
            if (m == 0) (l.maxOpenInterestLong, l.maxOpenInterestShort) = (LONG_CAP, SHORT_CAP);
            setLimits(m == 0 ? ETH : BTC, l);
        }
    }

    uint128 internal constant LONG_CAP = 400_000e6;
    uint128 internal constant SHORT_CAP = 300_000e6;

    function newToken() internal override returns (MockUSDC) {
        return new BlocklistUSDC();
    }

    /// @dev forge-std is not available: forge reads the fuzzed targets from this function by name.
    function targetContracts() public view returns (address[] memory list) {
        list = new address[](1);
        list[0] = address(handler);
    }

    /// @dev The handler must reach the version 2 paths, or the invariants above would hold vacuously.
    function test_handler_reachesEscrowClaimWickAndEmergencyClose() public {
        for (uint256 i; i < 6; ++i) {
            handler.open(i, i, i % 2 == 0, 1000e6 + i, 640_076_481_000); // 10x under a 41x cap, margin 1.99%
        }
        assertEq(handler.positionCount(), 6, "opens applied under the limits");
        handler.blockTrader(0, true);
        handler.liquidate(0, 32_769_999, true); // whole, down 85% of its collateral: equity after the penalty
        handler.wickLiquidate(1, 1900); // 19% away from the feed: refused
        handler.wickLiquidate(1, 100); // 1% away: within the guard (applies only if unhealthy there)
        assertEq(handler.wicksAccepted(), 0, "no wick beyond the guard applied");
        handler.movePrice(1, 0, 899);
        handler.movePrice(1, 0, 899);
        handler.movePrice(0, 0, 899); // 2,700 s without a decision: past the 1,800 s timeout (+1/16)
        handler.emergencyClose(2);
        assertEq(handler.emergencyCloses(), 1, "emergency close after oracle silence");
        assertTrue(mm.claimable(handler.trader(0)) != 0, "payout to the blocked trader escrowed");
        handler.claim(0);
        assertEq(handler.claims(), 1, "claimed");
        assertBooks();
    }

    /// @dev Charged borrow fees are in the vault; accrued, uncharged ones are still in the positions' collateral.
    function invariant_TokenBalanceEqualsCollateralPlusVaultPlusInsurancePlusClaimable() public view {
        assertBooks();
        uint256 claimable;
        for (uint256 i; i < 3; ++i) {
            claimable += mm.claimable(handler.trader(i));
        }
        assertEq(claimable, mm.totalClaimable(), "total claimable == sum of accounts");
        uint256 sum;
        uint256 n = handler.positionCount();
        for (uint256 i; i < n; ++i) {
            sum += mm.getPosition(handler.ids(i)).collateral;
        }
        assertEq(sum, mm.totalCollateral(), "total collateral == sum of positions");
    }

    function invariant_NoPositionAboveCapAfterOpen() public view {
        uint256 n = handler.positionCount();
        for (uint256 i; i < n; ++i) {
            IMarginManager.Position memory p = mm.getPosition(handler.ids(i));
            assertLe(p.maxLeverageX100, 5000, "cap within the market's");
            if (p.version == 1) {
                assertLe(uint256(p.size) * 100, uint256(p.collateral) * p.maxLeverageX100, "leverage within cap");
            }
        }
    }

    function invariant_NoDecisionAppliesTwice() public view {
        assertEq(handler.replaysAccepted(), 0, "a replayed call succeeded");
        uint256 n = handler.positionCount();
        for (uint256 i; i < n; ++i) {
            bytes32 id = handler.ids(i);
            assertEq(mm.getPosition(id).version, handler.ghostVersion(id), "one version bump per applied change");
        }
    }

    function invariant_OpenInterestIsOpenSizeAndNeverAboveCap() public view {
        uint256[4] memory sums; // ETH long, ETH short, BTC long, BTC short
        uint256 n = handler.positionCount();
        for (uint256 i; i < n; ++i) {
            IMarginManager.Position memory p = mm.getPosition(handler.ids(i));
            if (p.status != uint8(IMarginManager.Status.Open)) continue;
            sums[(p.marketId == ETH ? 0 : 2) + (p.isLong ? 0 : 1)] += p.size;
        }
        (uint128 ethLong, uint128 ethShort) = mm.openInterest(ETH);
        (uint128 btcLong, uint128 btcShort) = mm.openInterest(BTC);
        assertEq(ethLong, sums[0], "ETH long OI");
        assertEq(ethShort, sums[1], "ETH short OI");
        assertEq(btcLong, sums[2], "BTC long OI");
        assertEq(btcShort, sums[3], "BTC short OI");
        assertLe(ethLong, LONG_CAP, "ETH long OI within cap");
        assertLe(ethShort, SHORT_CAP, "ETH short OI within cap");
    }

    function invariant_NoDecisionTheFeedContradictsApplies() public view {
        assertEq(handler.wicksAccepted(), 0, "a decision beyond the feed guard applied");
    }

    function invariant_LossNeverReachesOtherPositions() public view {
        assertTrue(!handler.isolationBroken(), "an action moved another position's collateral");
    }
}
