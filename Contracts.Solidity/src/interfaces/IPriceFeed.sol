// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IPriceFeed
/// @notice The part of Chainlink's AggregatorV3Interface MarginManager reads (RedStone and Chainlink both serve it on
///         MegaETH): the latest answer, when it was updated, and its decimals.
interface IPriceFeed {
    /// @notice Decimals of `answer`.
    function decimals() external view returns (uint8);

    /// @notice The latest round: `answer` in `decimals()` fixed point, `updatedAt` its timestamp.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
