// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginManager} from "../../src/interfaces/IMarginManager.sol";
import {MarginManagerBase} from "../utils/MarginManagerBase.sol";

/// @notice Properties over leverage, prices, close factors and signer subsets, checked against reference
///         arithmetic written here from CONTRACT.md (not from the contract's libraries).
contract MarginManagerFuzzTest is MarginManagerBase {
    function testFuzz_openPosition_leverageNeverAboveCap(uint256 collateralSeed, uint256 leverageSeed, uint256 capSeed)
        public
    {
        uint128 collateral = uint128(bound(collateralSeed, 1e6, 1_000_000e6));
        uint256 leverageX100 = bound(leverageSeed, 100, 6000);
        uint32 cap = uint32(bound(capSeed, 100, 5000));
        uint128 size = uint128(uint256(collateral) * leverageX100 / 100);
        IMarginManager.RiskDecision memory d = openDecision(pid(1), alice, true, collateral, size);
        d.maxLeverageX100 = cap;
        d.maintenanceMarginBps = 50; // 0.5%: never liquidatable at open below 200x
        IMarginManager.Quorum memory q = signed(d);
        bool withinCap = uint256(size) * 100 <= uint256(collateral) * cap;
        if (!withinCap) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IMarginManager.LeverageAboveCap.selector, uint256(size) * 100 / collateral, uint256(cap)
                )
            );
        }
        vm.prank(alice);
        mm.openPosition(d, q);
        if (withinCap) {
            IMarginManager.Position memory p = mm.getPosition(pid(1));
            assertLe(uint256(p.size) * 100, uint256(p.collateral) * p.maxLeverageX100, "size within cap");
            assertLe(p.maxLeverageX100, 5000, "cap within market cap");
        }
        assertBooks();
    }

    function testFuzz_isLiquidatable_matchesFormula(
        uint256 entrySeed,
        uint256 priceSeed,
        bool isLong,
        uint256 marginSeed,
        uint256 leverageSeed
    ) public {
        uint128 entry = uint128(bound(entrySeed, 1e12, 1e24));
        uint128 price = uint128(bound(priceSeed, 1, uint256(entry) * 3));
        uint32 margin = uint32(bound(marginSeed, 50, 400));
        uint128 collateral = 10_000e6;
        uint128 size = uint128(uint256(collateral) * bound(leverageSeed, 100, 2000) / 100);
        IMarginManager.RiskDecision memory d = openDecision(pid(1), alice, isLong, collateral, size);
        d.markPriceE18 = entry;
        d.maintenanceMarginBps = margin;
        IMarginManager.Quorum memory q = signed(d);
        vm.prank(alice);
        mm.openPosition(d, q);

        int256 pnl = int256(uint256(size)) * (int256(uint256(price)) - int256(uint256(entry))) / int256(uint256(entry));
        if (!isLong) pnl = -pnl;
        bool expected = int256(uint256(collateral)) + pnl < int256(uint256(size) * margin / 10_000);
        assertEq(mm.isLiquidatable(pid(1), price), expected, "liquidatable iff equity < requirement");
    }

    function testFuzz_liquidate_closeFactorConservesFunds(uint256 closeFactorSeed, uint256 dropSeed, bool isLong)
        public
    {
        uint32 closeFactor = uint32(bound(closeFactorSeed, 1, 10_000));
        uint256 moveBps = bound(dropSeed, 760, 3000); // beyond 7.5% at 10x with 2.5% maintenance: liquidatable
        uint128 price = uint128(
            isLong ? uint256(PRICE) * (10_000 - moveBps) / 10_000 : uint256(PRICE) * (10_000 + moveBps) / 10_000
        );
        bytes32 id = openAs(alice, pid(1), isLong, 1000e6);
        uint256 held = usdc.balanceOf(address(mm)) + usdc.balanceOf(alice);
        uint256 value = uint256(mm.vaultBalance()) + mm.insuranceBalance();

        apply_(liquidateDecision(id, 1, price, closeFactor));

        assertEq(usdc.balanceOf(address(mm)) + usdc.balanceOf(alice), held, "tokens only move between pool and trader");
        assertBooks();
        IMarginManager.Position memory p = mm.getPosition(id);
        if (p.status == uint8(IMarginManager.Status.Open)) {
            assertEq(p.size, 10_000e6 - uint256(10_000e6) * closeFactor / 10_000, "closed the close factor");
            int256 pnlRest =
                int256(uint256(p.size)) * (int256(uint256(price)) - int256(uint256(PRICE))) / int256(uint256(PRICE));
            if (!isLong) pnlRest = -pnlRest;
            assertTrue(int256(uint256(p.collateral)) + pnlRest > 0, "remainder keeps positive equity");
        } else {
            assertEq(p.status, uint8(IMarginManager.Status.Liquidated), "else fully liquidated");
            assertEq(p.size, 0, "nothing left");
        }
        // The pool (vault + insurance) never loses on a liquidation of a losing position.
        assertTrue(uint256(mm.vaultBalance()) + mm.insuranceBalance() >= value, "pool not worse off");
    }

    function testFuzz_closePosition_payoutIsMaxOfEquityAndZero(uint256 priceSeed, bool isLong) public {
        uint128 price = uint128(bound(priceSeed, 1000e18, 3000e18));
        bytes32 id = openAs(alice, pid(1), isLong, 1000e6);
        uint256 before = usdc.balanceOf(alice);
        IMarginManager.RiskDecision memory d = closeDecision(id, alice, 1, price);
        IMarginManager.Quorum memory q = signed(d);
        vm.prank(alice);
        mm.closePosition(d, q);

        int256 pnl = int256(10_000e6) * (int256(uint256(price)) - int256(uint256(PRICE))) / int256(uint256(PRICE));
        if (!isLong) pnl = -pnl;
        int256 equity = 1000e6 + pnl;
        uint256 payout = equity > 0 ? uint256(equity) : 0;
        assertEq(usdc.balanceOf(alice) - before, payout, "payout");
        assertEq(mm.totalBadDebt(), equity < 0 ? uint256(-equity) : 0, "bad debt");
        assertBooks();
    }

    function testFuzz_quorum_anyThreeDistinctSignersVerify(uint256 seed) public {
        // Pick 3 of 5 by removing 2 distinct indices.
        uint256 skipA = seed % 5;
        uint256 skipB = (skipA + 1 + (seed >> 8) % 4) % 5;
        uint256[] memory chosen = new uint256[](3);
        uint256 k;
        for (uint256 i; i < 5; ++i) {
            if (i != skipA && i != skipB) chosen[k++] = i;
        }
        bytes32 id = openAs(alice, pid(1), true, 1000e6);
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 2000, 200, 100);
        mm.applyDecision(d, quorumFrom(mm.decisionDigest(d), chosen));
        assertEq(mm.getPosition(id).version, 2, "applied");
    }

    function testFuzz_quorum_anyCorruptedByteRejected(uint256 byteSeed, uint8 xorMask) public {
        vm.assume(xorMask != 0);
        bytes32 id = openAs(alice, pid(1), true, 1000e6);
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 2000, 200, 100);
        IMarginManager.Quorum memory q = signed(d);
        uint256 at = bound(byteSeed, 0, q.signatures.length - 1);
        q.signatures[at] = bytes1(uint8(q.signatures[at]) ^ xorMask);
        vm.expectRevert();
        mm.applyDecision(d, q);
    }
}
