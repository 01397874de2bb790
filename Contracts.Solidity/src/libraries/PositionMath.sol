// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title PositionMath
/// @notice PnL and maintenance requirement exactly as CONTRACT.md states them, so the off-chain engine can
///         reproduce every liquidation check: integer division truncates toward zero, like Solidity's.
library PositionMath {
    uint256 internal constant BPS = 10_000;

    /// @notice A long's PnL is size × (price − entry) / entry, a short's the negative (truncated toward zero).
    function pnl(bool isLong, uint256 size, uint256 entryPriceE18, uint256 priceE18) internal pure returns (int256) {
        // size < 2^128 and |price − entry| < 2^128, so the product cannot overflow.
        if (priceE18 >= entryPriceE18) {
            int256 up = SafeCast.toInt256(size * (priceE18 - entryPriceE18) / entryPriceE18);
            return isLong ? up : -up;
        }
        int256 down = SafeCast.toInt256(size * (entryPriceE18 - priceE18) / entryPriceE18);
        return isLong ? -down : down;
    }

    /// @notice size × maintenanceMarginBps / 10000.
    function requirement(uint256 size, uint256 marginBps) internal pure returns (uint256) {
        return size * marginBps / BPS;
    }
}
