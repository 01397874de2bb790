// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginManager} from "../../src/interfaces/IMarginManager.sol";
import {MarginManagerBase} from "../utils/MarginManagerBase.sol";

/// @notice Delayed governance, played on warped time: what is queued, when it may run, who may cancel it.
contract MarginManagerTimelockTest is MarginManagerBase {
    uint64 internal constant DELAY = 2 days;
    bytes32 internal constant NEW_MODEL = keccak256("model-v2");

    function _delayed() internal {
        vm.prank(admin);
        mm.setGovernanceDelay(DELAY);
    }

    function _opId(uint64 nonce, bytes memory data) internal pure returns (bytes32) {
        return keccak256(abi.encode(nonce, data));
    }

    function test_governance_zeroDelayAppliesInTheSameCall() public {
        vm.prank(admin);
        mm.setModel(NEW_MODEL, true);
        assertTrue(mm.isModelAllowed(NEW_MODEL), "applied at once");
        assertEq(mm.governanceNonce(), 0, "nothing queued");
    }

    function test_governance_queuedOpRunsAfterItsEtaOnly() public {
        _delayed();
        bytes memory data = abi.encodeCall(mm.setModel, (NEW_MODEL, true));
        bytes32 opId = _opId(0, data);
        vm.expectEmit(address(mm));
        emit IMarginManager.GovernanceQueued(opId, uint64(block.timestamp) + DELAY, data);
        vm.prank(admin);
        mm.setModel(NEW_MODEL, true);
        assertTrue(!mm.isModelAllowed(NEW_MODEL), "not yet");
        (uint64 eta, bytes memory stored) = mm.governanceOp(opId);
        assertEq(eta, T0 + DELAY, "eta");
        assertEq(keccak256(stored), keccak256(data), "calldata stored");

        vm.warp(T0 + DELAY - 1);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.GovernanceOpNotReady.selector, opId, eta, T0 + DELAY - 1));
        vm.prank(admin);
        mm.executeGovernance(opId);

        vm.warp(T0 + DELAY);
        vm.expectEmit(address(mm));
        emit IMarginManager.GovernanceExecuted(opId);
        vm.prank(admin);
        mm.executeGovernance(opId);
        assertTrue(mm.isModelAllowed(NEW_MODEL), "applied at eta");

        vm.expectRevert(abi.encodeWithSelector(IMarginManager.UnknownGovernanceOp.selector, opId));
        vm.prank(admin);
        mm.executeGovernance(opId);
    }

    function test_governance_guardianCancelsAQueuedWithdrawal() public {
        _delayed();
        vm.prank(admin);
        mm.withdrawLiquidity(VAULT);
        bytes32 opId = _opId(0, abi.encodeCall(mm.withdrawLiquidity, (VAULT)));
        vm.expectEmit(address(mm));
        emit IMarginManager.GovernanceCancelled(opId, guardian);
        vm.prank(guardian);
        mm.cancelGovernance(opId);
        vm.warp(T0 + DELAY);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.UnknownGovernanceOp.selector, opId));
        vm.prank(admin);
        mm.executeGovernance(opId);
        assertEq(mm.vaultBalance(), VAULT, "vault untouched");
    }

    function test_cancelGovernance_RevertWhen_Stranger() public {
        _delayed();
        vm.prank(admin);
        mm.withdrawLiquidity(1e6);
        bytes32 opId = _opId(0, abi.encodeCall(mm.withdrawLiquidity, (1e6)));
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotGuardian.selector, bob));
        vm.prank(bob);
        mm.cancelGovernance(opId);
    }

    function test_executeGovernance_RevertWhen_NotAdmin() public {
        _delayed();
        vm.prank(admin);
        mm.withdrawLiquidity(1e6);
        bytes32 opId = _opId(0, abi.encodeCall(mm.withdrawLiquidity, (1e6)));
        vm.warp(T0 + DELAY);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotAdmin.selector, guardian));
        vm.prank(guardian);
        mm.executeGovernance(opId);
    }

    function test_governance_queuedWithdrawalPaysTheAdminAtExecution() public {
        _delayed();
        vm.prank(admin);
        mm.withdrawLiquidity(100e6);
        vm.warp(T0 + DELAY);
        vm.prank(admin);
        mm.executeGovernance(_opId(0, abi.encodeCall(mm.withdrawLiquidity, (100e6))));
        assertEq(usdc.balanceOf(admin), 100e6, "admin paid");
        assertEq(mm.vaultBalance(), VAULT - 100e6, "vault debited");
        assertBooks();
    }

    function test_governance_failingOpRevertsAndStaysQueued() public {
        _delayed();
        vm.prank(admin);
        mm.withdrawLiquidity(VAULT + 1); // more than the vault will hold at execution
        bytes memory data = abi.encodeCall(mm.withdrawLiquidity, (VAULT + 1));
        bytes32 opId = _opId(0, data);
        vm.warp(T0 + DELAY);
        bytes memory reason =
            abi.encodeWithSelector(IMarginManager.InsufficientLiquidity.selector, VAULT + 1, uint256(VAULT));
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.GovernanceOpFailed.selector, opId, reason));
        vm.prank(admin);
        mm.executeGovernance(opId);
        (uint64 eta,) = mm.governanceOp(opId);
        assertEq(eta, T0 + DELAY, "still queued");
    }

    function test_setGovernanceDelay_loweringIsItselfDelayed() public {
        _delayed();
        vm.prank(admin);
        mm.setGovernanceDelay(1 hours);
        assertEq(mm.governanceDelay(), DELAY, "still the long delay");
        vm.prank(admin);
        mm.withdrawLiquidity(1e6); // queued under the long delay
        (uint64 eta,) = mm.governanceOp(_opId(1, abi.encodeCall(mm.withdrawLiquidity, (1e6))));
        assertEq(eta, T0 + DELAY, "the long delay applies until the lowering runs");
        vm.warp(T0 + DELAY);
        vm.prank(admin);
        mm.executeGovernance(_opId(0, abi.encodeCall(mm.setGovernanceDelay, (1 hours))));
        assertEq(mm.governanceDelay(), 1 hours, "lowered after the delay");
    }

    function test_setGovernanceDelay_RevertWhen_AboveThirtyDays() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidGovernanceDelay.selector, uint64(31 days)));
        vm.prank(admin);
        mm.setGovernanceDelay(31 days);
    }

    function test_governance_tighteningAppliesAtOnce() public {
        _delayed();
        IMarginManager.MarketConfig memory cfg = marketConfig();
        cfg.maxLeverageX100 = 2000;
        cfg.liquidationPenaltyBps = 50;
        cfg.tighteningGrace = 7200;
        vm.startPrank(admin);
        mm.setMarket(ETH, cfg);
        mm.setModel(MODEL, false);
        mm.halt();
        vm.stopPrank();
        (IMarginManager.MarketConfig memory live,) = mm.getMarket(ETH);
        assertEq(live.maxLeverageX100, 2000, "lower cap at once");
        assertEq(live.tighteningGrace, 7200, "longer grace at once");
        assertTrue(!mm.isModelAllowed(MODEL), "deregistered at once");
        assertEq(mm.governanceNonce(), 0, "nothing queued");
    }

    function test_governance_newMarketAndMixedChangeAreQueued() public {
        _delayed();
        IMarginManager.MarketConfig memory cfg = marketConfig();
        cfg.maxLeverageX100 = 2000; // tighter
        cfg.maxPriceAge = 600; // looser
        vm.startPrank(admin);
        mm.setMarket(ETH, cfg);
        mm.setMarket(keccak256("SOL-USD"), marketConfig());
        vm.stopPrank();
        (IMarginManager.MarketConfig memory live,) = mm.getMarket(ETH);
        assertEq(live.maxLeverageX100, 5000, "a mixed change waits whole");
        assertEq(mm.marketIds().length, 2, "the new market waits");
        assertEq(mm.governanceNonce(), 2, "both queued");
    }

    function test_governance_limitsTighteningAtOnceLooseningQueued() public {
        IMarginManager.MarketLimits memory l;
        l.maxOpenInterestLong = 1_000_000e6;
        l.borrowRateBpsPerDay = 10;
        setLimits(ETH, l);
        _delayed();
        l.maxOpenInterestLong = 500_000e6; // tighter
        setLimits(ETH, l);
        assertEq(mm.getMarketLimits(ETH).maxOpenInterestLong, 500_000e6, "lower cap at once");
        l.maxOpenInterestLong = 0; // off: the loosest
        setLimits(ETH, l);
        assertEq(mm.getMarketLimits(ETH).maxOpenInterestLong, 500_000e6, "switching a cap off waits");
        l.maxOpenInterestLong = 500_000e6;
        l.borrowRateBpsPerDay = 20; // a higher fee waits
        setLimits(ETH, l);
        l.borrowRateBpsPerDay = 10;
        l.priceFeed = address(newFeed(PRICE)); // a new feed waits
        setLimits(ETH, l);
        assertEq(mm.getMarketLimits(ETH).borrowRateBpsPerDay, 10, "rate unchanged");
        assertEq(mm.getMarketLimits(ETH).priceFeed, address(0), "feed unchanged");
        assertEq(mm.governanceNonce(), 3, "three queued");
    }

    function test_governance_signersAndWithdrawQueuedUnderDelay() public {
        _delayed();
        address[] memory list = signerAddresses();
        vm.prank(admin);
        mm.setSigners(list, 4);
        assertEq(mm.threshold(), THRESHOLD, "threshold unchanged");
        vm.warp(T0 + DELAY);
        vm.prank(admin);
        mm.executeGovernance(_opId(0, abi.encodeCall(mm.setSigners, (list, 4))));
        assertEq(mm.threshold(), 4, "threshold changed at eta");
    }

    function test_setSigners_RevertWhen_QueuedSetIsInvalid() public {
        _delayed();
        address[] memory list = signerAddresses();
        list[1] = list[0];
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.DuplicateSigner.selector, list[0]));
        vm.prank(admin);
        mm.setSigners(list, THRESHOLD);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidSignerSet.selector, list.length, uint8(0)));
        vm.prank(admin);
        mm.setSigners(signerAddresses(), 0);
        assertEq(mm.governanceNonce(), 0, "nothing queued for the bad sets");
    }
}
