// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginManager} from "../../src/interfaces/IMarginManager.sol";
import {MarginManagerBase} from "../utils/MarginManagerBase.sol";
import {MarginHandler} from "./handlers/MarginHandler.sol";

/// @notice Each invariant runs its own campaign of 64 sequences × 200 calls (foundry.toml): 51,200 calls in all.
/// @notice Invariants over random sequences of opens, top-ups, adjusts, liquidations (single and batched, some
///         stale), closes, freezes, pool funding, price moves and replays of everything that once succeeded.
contract MarginManagerInvariantTest is MarginManagerBase {
    MarginHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new MarginHandler(mm, usdc, guardian, MODEL);
    }

    /// @dev forge-std is not available: forge reads the fuzzed targets from this function by name.
    function targetContracts() public view returns (address[] memory list) {
        list = new address[](1);
        list[0] = address(handler);
    }

    function invariant_TokenBalanceEqualsCollateralPlusVaultPlusInsurance() public view {
        assertBooks();
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

    function invariant_LossNeverReachesOtherPositions() public view {
        assertTrue(!handler.isolationBroken(), "an action moved another position's collateral");
    }
}
