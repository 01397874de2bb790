// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {MarginManager} from "../../src/MarginManager.sol";
import {IMarginManager} from "../../src/interfaces/IMarginManager.sol";
import {MockUSDC} from "../../src/mocks/MockUSDC.sol";
import {MarginManagerBase} from "../utils/MarginManagerBase.sol";
import {HookUSDC, ITransferHook} from "../utils/TestTokens.sol";

/// @notice A trader contract that, once armed, re-enters the MarginManager with the armed calldata when a payout
///         reaches it, and records the outcome instead of reverting (a reverting hook would only get the payout
///         escrowed, which proves nothing about re-entry).
contract ReentrantTrader is ITransferHook {
    MarginManager private immutable MM;
    bytes private _attack;
    bool public attempted;
    bool public reentered;
    bytes public revertData;

    constructor(MarginManager mm) {
        MM = mm;
    }

    function arm(bytes calldata attack) external {
        _attack = attack;
    }

    function onTokenReceived(address, uint256) external {
        if (_attack.length == 0) return;
        bytes memory data = _attack;
        delete _attack;
        attempted = true;
        (reentered, revertData) = address(MM).call(data);
    }
}

/// @notice Issue 16 (audit hardening): payouts run before a batch's books are written and the collateral token is a
///         constructor argument, so a hook token's receiver must not get back in while the books are stale. Each
///         case runs the outer call twice from the same state, without and with the re-entry: the re-entry reverts
///         `ReentrancyGuardReentrantCall` and the outer call leaves exactly the books and positions it leaves alone.
contract MarginManagerReentrancyTest is MarginManagerBase {
    ReentrantTrader internal eve;

    function newToken() internal override returns (MockUSDC) {
        return new HookUSDC();
    }

    function setUp() public override {
        super.setUp();
        eve = new ReentrantTrader(mm);
        fund(address(eve), 10_000_000e6);
        HookUSDC(address(usdc)).setHooked(address(eve), true);
        openAs(address(eve), pid(1), true, 1000e6); // settled by the outer call
        openAs(address(eve), pid(2), true, 1000e6); // the re-entry's target
        openAs(alice, pid(3), true, 1000e6);
    }

    function test_batchPayout_RevertWhen_TraderReentersCloseAddCollateralClaimOrApply() public {
        bytes[] memory attacks = _attacks();
        for (uint256 i; i < attacks.length; ++i) {
            _assertReentryRefused(attacks[i], _batchLiquidatingPositionOne);
        }
    }

    function test_closePosition_RevertWhen_TraderReentersCloseAddCollateralClaimOrApply() public {
        bytes[] memory attacks = _attacks();
        for (uint256 i; i < attacks.length; ++i) {
            _assertReentryRefused(attacks[i], _closePositionOneAtProfit);
        }
    }

    function test_closePosition_RevertWhen_TraderReentersWithABatch() public {
        IMarginManager.RiskDecision[] memory ds = one(liquidateDecision(pid(3), 1, 1840e18, 10_000));
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(7, ds);
        _assertReentryRefused(
            abi.encodeCall(MarginManager.applyDecisions, (7, validUntil, ds, q)), _closePositionOneAtProfit
        );
        assertTrue(!mm.isBatchNonceUsed(7), "the re-entered batch's nonce is still free");
    }

    /// @dev Runs `outer` from one state without and then with `attack` armed: same books, re-entry refused.
    function _assertReentryRefused(bytes memory attack, function() internal outer) internal {
        uint256 before = vm.snapshotState();
        outer();
        uint256[10] memory expected = _state();
        assertTrue(!eve.attempted(), "the control run re-entered nothing");
        vm.revertToState(before);

        eve.arm(attack);
        outer();
        assertTrue(eve.attempted(), "the payout reached the hook");
        assertTrue(!eve.reentered(), "the re-entry went through");
        assertEq(
            keccak256(eve.revertData()),
            keccak256(abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector)),
            "the re-entry reverts ReentrancyGuardReentrantCall"
        );
        uint256[10] memory actual = _state();
        for (uint256 k; k < actual.length; ++k) {
            assertEq(actual[k], expected[k], string.concat("state field ", vm.toString(k)));
        }
        assertBooks();
        vm.revertToState(before);
    }

    /// @dev A full LIQUIDATE of position 1 (pays eve 100e6) and of alice's position 3 in one batch.
    function _batchLiquidatingPositionOne() internal {
        IMarginManager.RiskDecision[] memory ds =
            two(liquidateDecision(pid(1), 1, 1840e18, 10_000), liquidateDecision(pid(3), 1, 1840e18, 10_000));
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(1, ds);
        assertEq(mm.applyDecisions(1, validUntil, ds, q), 2, "both applied");
    }

    /// @dev Eve closes position 1 at +5% (pays 1,500e6 from the vault).
    function _closePositionOneAtProfit() internal {
        IMarginManager.RiskDecision memory d = closeDecision(pid(1), address(eve), 1, 2100e18);
        IMarginManager.Quorum memory q = signed(d);
        vm.prank(address(eve));
        mm.closePosition(d, q);
    }

    /// @dev What eve could try from the hook on her other position: close it, top it up, claim, and have a signed
    ///      LIQUIDATE of it applied.
    function _attacks() internal view returns (bytes[] memory attacks) {
        IMarginManager.RiskDecision memory close = closeDecision(pid(2), address(eve), 1, 2100e18);
        IMarginManager.RiskDecision memory liq = liquidateDecision(pid(2), 1, 1840e18, 10_000);
        attacks = new bytes[](4);
        attacks[0] = abi.encodeCall(MarginManager.closePosition, (close, signed(close)));
        attacks[1] = abi.encodeCall(MarginManager.addCollateral, (pid(2), 500e6));
        attacks[2] = abi.encodeCall(MarginManager.claim, (address(eve)));
        attacks[3] = abi.encodeCall(MarginManager.applyDecision, (liq, signed(liq)));
    }

    /// @dev The books, eve's balance and both of eve's positions.
    function _state() internal view returns (uint256[10] memory s) {
        IMarginManager.Position memory p1 = mm.getPosition(pid(1));
        IMarginManager.Position memory p2 = mm.getPosition(pid(2));
        s = [
            uint256(mm.totalCollateral()),
            mm.vaultBalance(),
            mm.insuranceBalance(),
            mm.totalBadDebt(),
            mm.totalClaimable(),
            usdc.balanceOf(address(eve)),
            p1.status,
            p1.collateral,
            p2.status,
            p2.collateral
        ];
    }
}
