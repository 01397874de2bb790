// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginManager} from "../interfaces/IMarginManager.sol";

/// @title DecisionHash
/// @notice EIP-712 struct hashes of `RiskDecision` and `DecisionList`, computed straight from calldata.
/// @dev Every RiskDecision field is a static 32-byte ABI word, so the EIP-712 `encodeData` of a decision is exactly
///      its calldata: hashing `typeHash ‖ calldata` skips the copy-and-re-encode that `abi.encode` would do. Calldata
///      with dirty high bits hashes to a digest nobody signed, so it cannot pass the quorum check.
library DecisionHash {
    /// @dev The EIP-712 type string of one decision (kept byte-for-byte as in CONTRACT.md).
    bytes internal constant RISK_DECISION_TYPE =
        "RiskDecision(uint8 kind,bytes32 positionId,bytes32 marketId,address trader,bool isLong,uint128 collateral,uint128 size,uint32 maxLeverageX100,uint32 maintenanceMarginBps,uint32 closeFactorBps,uint16 riskScoreBps,uint128 markPriceE18,uint64 priceTimestamp,uint64 positionVersion,uint64 validUntil,bytes32 modelHash,bytes32 featuresHash)";

    bytes32 internal constant RISK_DECISION_TYPEHASH = keccak256(RISK_DECISION_TYPE);

    /// @dev The DecisionList type string: its own fields, then the referenced RiskDecision type.
    bytes internal constant DECISION_LIST_TYPE =
        "DecisionList(uint64 batchNonce,uint64 validUntil,RiskDecision[] decisions)RiskDecision(uint8 kind,bytes32 positionId,bytes32 marketId,address trader,bool isLong,uint128 collateral,uint128 size,uint32 maxLeverageX100,uint32 maintenanceMarginBps,uint32 closeFactorBps,uint16 riskScoreBps,uint128 markPriceE18,uint64 priceTimestamp,uint64 positionVersion,uint64 validUntil,bytes32 modelHash,bytes32 featuresHash)";

    bytes32 internal constant DECISION_LIST_TYPEHASH = keccak256(DECISION_LIST_TYPE);

    /// @dev 17 fields × 32 bytes.
    uint256 internal constant DECISION_BYTES = 544;

    /// @notice hashStruct(RiskDecision).
    function hashDecision(IMarginManager.RiskDecision calldata d) internal pure returns (bytes32 h) {
        bytes32 typeHash = RISK_DECISION_TYPEHASH;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typeHash)
            calldatacopy(add(m, 0x20), d, DECISION_BYTES)
            h := keccak256(m, add(DECISION_BYTES, 0x20))
        }
    }

    /// @notice hashStruct of every decision in `ds`, in order.
    function hashDecisions(IMarginManager.RiskDecision[] calldata ds) internal pure returns (bytes32[] memory hashes) {
        uint256 n = ds.length;
        hashes = new bytes32[](n);
        bytes32 typeHash = RISK_DECISION_TYPEHASH;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typeHash)
            let src := ds.offset
            let dst := add(hashes, 0x20)
            for { let end := add(dst, shl(5, n)) } lt(dst, end) { dst := add(dst, 0x20) } {
                calldatacopy(add(m, 0x20), src, DECISION_BYTES)
                mstore(dst, keccak256(m, add(DECISION_BYTES, 0x20)))
                src := add(src, DECISION_BYTES)
            }
        }
    }

    /// @notice hashStruct(DecisionList) from the decisions' struct hashes (EIP-712 hashes an array of structs as
    ///         keccak256 of the concatenated struct hashes).
    function hashList(uint64 batchNonce, uint64 validUntil, bytes32[] memory structHashes)
        internal
        pure
        returns (bytes32 h)
    {
        bytes32 arrayHash;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            arrayHash := keccak256(add(structHashes, 0x20), shl(5, mload(structHashes)))
        }
        h = keccak256(abi.encode(DECISION_LIST_TYPEHASH, batchNonce, validUntil, arrayHash));
    }
}
