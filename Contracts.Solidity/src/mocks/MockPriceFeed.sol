// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPriceFeed} from "../interfaces/IPriceFeed.sol";

/// @title MockPriceFeed
/// @notice A Chainlink AggregatorV3-style feed for dev chains: the owner names an updater (a key of its own, never an
///         oracle signer's, so the price guard stays independent of the quorum), who pushes answers.
/// @dev The latest round lives in one slot, so MarginManager's guard reads it with one cold SLOAD.
contract MockPriceFeed is IPriceFeed {
    /// @notice The caller is not the owner.
    error NotOwner(address caller);
    /// @notice The caller is not the updater.
    error NotUpdater(address caller);
    /// @notice `updatedAt` is in the future or before the latest round's.
    error InvalidUpdatedAt(uint256 updatedAt);
    /// @notice The answer does not fit 128 bits.
    error AnswerOutOfRange(int256 answer);
    /// @notice Only the latest round is kept.
    error RoundNotKept(uint80 roundId);

    /// @notice Chainlink's event for a new answer.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
    /// @notice The updater changed.
    event UpdaterChanged(address updater);

    uint8 private immutable DECIMALS;
    address private immutable OWNER;
    address public updater;

    int128 private _answer;
    uint64 private _roundId;
    uint64 private _updatedAt;

    /// @param decimals_ Decimals of the answer (Chainlink USD feeds use 8).
    /// @param updater_ Who may push answers.
    /// @param initialAnswer The first answer, dated now (0: no round yet).
    constructor(uint8 decimals_, address updater_, int256 initialAnswer) {
        DECIMALS = decimals_;
        OWNER = msg.sender;
        updater = updater_;
        emit UpdaterChanged(updater_);
        if (initialAnswer != 0) _push(initialAnswer, block.timestamp);
    }

    /// @notice Owner: replaces the updater.
    function setUpdater(address updater_) external {
        if (msg.sender != OWNER) revert NotOwner(msg.sender);
        updater = updater_;
        emit UpdaterChanged(updater_);
    }

    /// @notice Updater: a new round with `answer`, dated now.
    function updateAnswer(int256 answer) external {
        if (msg.sender != updater) revert NotUpdater(msg.sender);
        _push(answer, block.timestamp);
    }

    /// @notice Updater: a new round with `answer` dated `updatedAt` (not in the future, not before the latest round).
    function updateRoundData(int256 answer, uint256 updatedAt) external {
        if (msg.sender != updater) revert NotUpdater(msg.sender);
        _push(answer, updatedAt);
    }

    /// @notice Who may replace the updater: the deployer.
    function owner() external view returns (address) {
        return OWNER;
    }

    /// @inheritdoc IPriceFeed
    function decimals() external view returns (uint8) {
        return DECIMALS;
    }

    /// @notice A description as Chainlink feeds carry one.
    function description() external pure returns (string memory) {
        return "MockPriceFeed";
    }

    /// @notice The aggregator version, as Chainlink feeds carry one.
    function version() external pure returns (uint256) {
        return 4;
    }

    /// @inheritdoc IPriceFeed
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return _round();
    }

    /// @notice The round `roundId`; only the latest is kept.
    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80) {
        if (roundId != _roundId || roundId == 0) revert RoundNotKept(roundId);
        return _round();
    }

    function _round() private view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256, uint80) {
        roundId = _roundId;
        answer = _answer;
        startedAt = _updatedAt;
        return (roundId, answer, startedAt, startedAt, roundId);
    }

    function _push(int256 answer, uint256 updatedAt) private {
        if (answer > type(int128).max || answer < type(int128).min) revert AnswerOutOfRange(answer);
        if (updatedAt > block.timestamp || updatedAt < _updatedAt) revert InvalidUpdatedAt(updatedAt);
        uint64 roundId = _roundId + 1;
        // forge-lint: disable-next-line(unsafe-typecast)
        (_answer, _roundId, _updatedAt) = (int128(answer), roundId, uint64(updatedAt));
        emit AnswerUpdated(answer, roundId, updatedAt);
    }
}
