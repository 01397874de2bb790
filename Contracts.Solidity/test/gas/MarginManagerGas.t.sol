// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginManager} from "../../src/interfaces/IMarginManager.sol";
import {MockPriceFeed} from "../../src/mocks/MockPriceFeed.sol";
import {MarginManagerBase} from "../utils/MarginManagerBase.sol";
import {Vm} from "../utils/Vm.sol";
import {QuorumHarness, SafeStyleVerifier} from "./QuorumVerifiers.sol";

/// @notice Transaction gas of the main operations, on Ethereum and as MegaETH would bill them, written to
///         snapshots/MarginManagerGas.json (the README table is copied from there).
/// @dev Ethereum gas of a transaction = 21,000 + calldata (4 per zero byte, 16 per other byte; EIP-7623 floor
///      10 per token) + what the call used (forge's callee-side measurement, storage made cold first). The receipt
///      then subtracts the EIP-3529 refund for storage cleared back to zero, capped at a fifth of that gas: both are
///      written (`.ethereum` before the refund, `.receipt` what the sender pays). MegaETH adds storage gas
///      (CONTRACT.md), counted on the gas before the refund: 39,000 per transaction + 160 per non-zero calldata byte
///      + 3,750 per log topic + 80 per log data byte. New storage slots' own storage gas on MegaETH is not in that
///      formula and not added.
contract MarginManagerGasTest is MarginManagerBase {
    string internal constant GROUP = "MarginManagerGas";
    uint256 internal constant BATCH = 50;

    struct Bill {
        uint256 ethereum;
        uint256 receipt;
        uint256 megaeth;
    }

    MockPriceFeed internal feed;

    /// @dev ETH-USD with every version 2 limit on, as ./aml deploy sets them: the feed guard (2%, 120 s), a 300 s
    ///      decision TTL, open-interest caps, a 10 bps/day borrow fee and a one-day liveness timeout.
    function setUp() public override {
        super.setUp();
        feed = newFeed(PRICE);
        IMarginManager.MarketLimits memory l = guardWithFeed(feed);
        l.maxDecisionTtl = 300;
        l.maxOpenInterestLong = 1e15;
        l.maxOpenInterestShort = 1e15;
        l.borrowRateBpsPerDay = 10;
        l.oracleLivenessTimeout = 1 days;
        setLimits(ETH, l);
    }

    /// @dev The feed follows the signed price, as the dev replay feed does.
    function _feedAt(uint128 price) internal {
        setFeedPrice(feed, price);
    }

    /// @dev ADJUST on a market without limits (version 1 behaviour, no feed read).
    function test_gas_applyDecision_adjustNoLimits() public {
        setLimits(ETH, noLimits());
        bytes32 id = openAs(alice, pid(1), true, 1000e6);
        vm.warp(block.timestamp + 1);
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 1500, 200, 900);
        _measure("adjustNoLimits", bob, abi.encodeCall(mm.applyDecision, (d, signed(d))), 1);
    }

    function test_gas_openPosition() public {
        IMarginManager.RiskDecision memory d = openDecision(pid(1), alice, true, 1000e6, 10_000e6);
        bytes memory data = abi.encodeCall(mm.openPosition, (d, signed(d)));
        _measure("open", alice, data, 1);
    }

    function test_gas_applyDecision_adjust() public {
        bytes32 id = openAs(alice, pid(1), true, 1000e6);
        vm.warp(block.timestamp + 1);
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 1500, 200, 900);
        _measure("adjust", bob, abi.encodeCall(mm.applyDecision, (d, signed(d))), 1);
    }

    function test_gas_applyDecision_adjustTightening() public {
        bytes32 id = openAs(alice, pid(1), true, 1000e6);
        vm.warp(block.timestamp + 1);
        IMarginManager.RiskDecision memory d = adjustDecision(id, 1, 1500, 600, 900);
        _measure("adjustTightening", bob, abi.encodeCall(mm.applyDecision, (d, signed(d))), 1);
    }

    function test_gas_applyDecision_liquidate() public {
        bytes32 id = openAs(alice, pid(1), true, 1000e6);
        vm.warp(block.timestamp + 1);
        _feedAt(1840e18);
        IMarginManager.RiskDecision memory d = liquidateDecision(id, 1, 1840e18, 10_000);
        _measure("liquidate", bob, abi.encodeCall(mm.applyDecision, (d, signed(d))), 1);
    }

    function test_gas_applyDecision_liquidatePartial() public {
        bytes32 id = openAs(alice, pid(1), true, 1000e6);
        vm.warp(block.timestamp + 1);
        _feedAt(1840e18);
        IMarginManager.RiskDecision memory d = liquidateDecision(id, 1, 1840e18, 5000);
        _measure("liquidatePartial", bob, abi.encodeCall(mm.applyDecision, (d, signed(d))), 1);
    }

    function test_gas_closePosition() public {
        bytes32 id = openAs(alice, pid(1), true, 1000e6);
        vm.warp(block.timestamp + 1);
        _feedAt(2100e18);
        IMarginManager.RiskDecision memory d = closeDecision(id, alice, 1, 2100e18);
        _measure("close", alice, abi.encodeCall(mm.closePosition, (d, signed(d))), 1);
    }

    function test_gas_applyDecisions_liquidate50() public {
        _liquidate50("batch50");
    }

    /// @dev The same batch on a market without limits (version 1 behaviour).
    function test_gas_applyDecisions_liquidate50NoLimits() public {
        setLimits(ETH, noLimits());
        _liquidate50("batch50NoLimits");
    }

    function _liquidate50(string memory name) internal {
        IMarginManager.RiskDecision[] memory ds = new IMarginManager.RiskDecision[](BATCH);
        for (uint256 i; i < BATCH; ++i) {
            bytes32 id = openAs(i % 2 == 0 ? alice : bob, pid(i + 1), true, 1000e6);
            ds[i] = liquidateDecision(id, 1, 1840e18, 10_000);
        }
        vm.warp(block.timestamp + 1);
        _feedAt(1840e18);
        for (uint256 i; i < BATCH; ++i) {
            ds[i].priceTimestamp = uint64(block.timestamp);
        }
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(1, ds);
        Bill memory b = _measure(name, admin, abi.encodeCall(mm.applyDecisions, (1, validUntil, ds, q)), BATCH);
        assertEq(mm.getPosition(pid(BATCH)).status, uint8(IMarginManager.Status.Liquidated), "all liquidated");
        assertTrue(b.ethereum > 0, "measured");
    }

    /// @notice Our 3-of-5 check (bitmap + 64-byte signatures + fixed signer array) against a Safe-style loop
    ///         (sorted 65-byte signatures + owner mapping) over the same digest, measured in the same run.
    function test_gas_quorumVersusSafeStyle() public {
        address[] memory list = signerAddresses();
        QuorumHarness ours = new QuorumHarness(list, THRESHOLD);
        SafeStyleVerifier safe = new SafeStyleVerifier(list, THRESHOLD);
        bytes32 digest = keccak256("a decision digest");

        IMarginManager.Quorum memory q = quorum(digest);
        bytes memory ourData = abi.encodeCall(ours.verify, (digest, q));
        vm.cool(address(ours));
        ours.verify(digest, q);
        uint256 ourGas = vm.snapshotGasLastCall(GROUP, "quorum3of5.ours.call");

        bytes memory sigs = _safeSignatures(digest, idx(0, 1, 2));
        bytes memory safeData = abi.encodeCall(safe.checkSignatures, (digest, sigs));
        vm.cool(address(safe));
        safe.checkSignatures(digest, sigs);
        uint256 safeGas = vm.snapshotGasLastCall(GROUP, "quorum3of5.safeStyle.call");

        uint256 ourTx = _ethereumGas(ourData, ourGas);
        uint256 safeTx = _ethereumGas(safeData, safeGas);
        vm.snapshotValue(GROUP, "quorum3of5.ours.tx", ourTx);
        vm.snapshotValue(GROUP, "quorum3of5.safeStyle.tx", safeTx);
        vm.snapshotValue(GROUP, "quorum3of5.oursPerMilleOfSafe.call", ourGas * 1000 / safeGas);
        vm.snapshotValue(GROUP, "quorum3of5.oursPerMilleOfSafe.tx", ourTx * 1000 / safeTx);
    }

    // --- helpers ---------------------------------------------------------------------------------------------

    function _measure(string memory name, address sender, bytes memory data, uint256 items)
        internal
        returns (Bill memory b)
    {
        vm.cool(address(mm));
        vm.cool(address(usdc));
        vm.cool(address(feed));
        vm.recordLogs();
        vm.prank(sender);
        (bool ok, bytes memory ret) = address(mm).call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        int64 refunded = vm.lastCallGas().gasRefunded;
        uint256 used = vm.snapshotGasLastCall(GROUP, string.concat(name, ".call"));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        b.ethereum = _ethereumGas(data, used);
        b.receipt = _receiptGas(data, used, refunded > 0 ? uint256(int256(refunded)) : 0);
        (, uint256 nonZero) = _bytes(data);
        uint256 topics;
        uint256 logBytes;
        for (uint256 i; i < logs.length; ++i) {
            topics += logs[i].topics.length;
            logBytes += logs[i].data.length;
        }
        b.megaeth = b.ethereum + 39_000 + 160 * nonZero + 3750 * topics + 80 * logBytes;
        vm.snapshotValue(GROUP, string.concat(name, ".ethereum"), b.ethereum);
        vm.snapshotValue(GROUP, string.concat(name, ".receipt"), b.receipt);
        vm.snapshotValue(GROUP, string.concat(name, ".megaeth"), b.megaeth);
        vm.snapshotValue(GROUP, string.concat(name, ".calldataBytes"), data.length);
        vm.snapshotValue(GROUP, string.concat(name, ".logTopics"), topics);
        vm.snapshotValue(GROUP, string.concat(name, ".logDataBytes"), logBytes);
        if (items > 1) {
            vm.snapshotValue(GROUP, string.concat(name, ".ethereumPerItem"), b.ethereum / items);
            vm.snapshotValue(GROUP, string.concat(name, ".receiptPerItem"), b.receipt / items);
            vm.snapshotValue(GROUP, string.concat(name, ".megaethPerItem"), b.megaeth / items);
        }
    }

    function _ethereumGas(bytes memory data, uint256 used) internal pure returns (uint256 gas) {
        (uint256 zero, uint256 nonZero) = _bytes(data);
        gas = 21_000 + 4 * zero + 16 * nonZero + used;
        uint256 floor = 21_000 + 10 * (zero + 4 * nonZero);
        if (floor > gas) gas = floor;
    }

    /// @dev What the receipt says (EIP-3529): the refund is capped at a fifth of the gas used, and the EIP-7623
    ///      calldata floor still holds after it.
    function _receiptGas(bytes memory data, uint256 used, uint256 refund) internal pure returns (uint256 gas) {
        (uint256 zero, uint256 nonZero) = _bytes(data);
        gas = 21_000 + 4 * zero + 16 * nonZero + used;
        gas -= refund < gas / 5 ? refund : gas / 5;
        uint256 floor = 21_000 + 10 * (zero + 4 * nonZero);
        if (floor > gas) gas = floor;
    }

    function _bytes(bytes memory data) internal pure returns (uint256 zero, uint256 nonZero) {
        for (uint256 i; i < data.length; ++i) {
            if (data[i] == 0) ++zero;
            else ++nonZero;
        }
    }

    /// @dev 65-byte (r, s, v) signatures by the chosen signers, sorted by address as Safe requires.
    function _safeSignatures(bytes32 digest, uint256[] memory chosen) internal pure returns (bytes memory sigs) {
        uint256[] memory keys = new uint256[](chosen.length);
        for (uint256 i; i < chosen.length; ++i) {
            keys[i] = signerKey(chosen[i]);
        }
        for (uint256 i; i < keys.length; ++i) {
            for (uint256 j = i + 1; j < keys.length; ++j) {
                if (vm.addr(keys[j]) < vm.addr(keys[i])) (keys[i], keys[j]) = (keys[j], keys[i]);
            }
        }
        for (uint256 i; i < keys.length; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(keys[i], digest);
            sigs = bytes.concat(sigs, abi.encodePacked(r, s, v));
        }
    }
}
