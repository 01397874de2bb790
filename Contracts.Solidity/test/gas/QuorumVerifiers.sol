// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginManager} from "../../src/interfaces/IMarginManager.sol";
import {QuorumLib} from "../../src/libraries/QuorumLib.sol";
import {SignerSet} from "../../src/libraries/SignerSet.sol";

/// @notice Our quorum check on its own: the same library and hot slot (signer data, count, threshold) as MarginManager.
contract QuorumHarness {
    address internal _list;
    uint8 internal _count;
    uint8 internal _threshold;

    constructor(address[] memory signers_, uint8 threshold_) {
        _list = SignerSet.write(signers_);
        _count = uint8(signers_.length);
        _threshold = threshold_;
    }

    function verify(bytes32 digest, IMarginManager.Quorum calldata q) external view {
        QuorumLib.verify(digest, q, _list, _count, _threshold);
    }
}

/// @notice The baseline: Safe's `checkNSignatures` loop for EOA signatures, written here from its published
///         behaviour: 65-byte (r, s, v) signatures sorted by ascending owner address, each recovered owner looked
///         up in the owners mapping (a linked list keyed by address), no low-s check.
contract SafeStyleVerifier {
    address internal constant SENTINEL_OWNERS = address(0x1);
    mapping(address owner => address next) internal owners;
    uint256 internal threshold;

    constructor(address[] memory owners_, uint256 threshold_) {
        address current = SENTINEL_OWNERS;
        for (uint256 i; i < owners_.length; ++i) {
            owners[current] = owners_[i];
            current = owners_[i];
        }
        owners[current] = SENTINEL_OWNERS;
        threshold = threshold_;
    }

    function checkNSignatures(bytes32 dataHash, bytes memory signatures, uint256 requiredSignatures) public view {
        require(signatures.length >= requiredSignatures * 65, "GS020");
        address lastOwner = address(0);
        for (uint256 i = 0; i < requiredSignatures; i++) {
            (uint8 v, bytes32 r, bytes32 s) = signatureSplit(signatures, i);
            address currentOwner = ecrecover(dataHash, v, r, s);
            require(
                currentOwner > lastOwner && owners[currentOwner] != address(0) && currentOwner != SENTINEL_OWNERS,
                "GS026"
            );
            lastOwner = currentOwner;
        }
    }

    function checkSignatures(bytes32 dataHash, bytes memory signatures) external view {
        checkNSignatures(dataHash, signatures, threshold);
    }

    function signatureSplit(bytes memory signatures, uint256 pos)
        internal
        pure
        returns (uint8 v, bytes32 r, bytes32 s)
    {
        assembly ("memory-safe") {
            let signaturePos := mul(0x41, pos)
            r := mload(add(signatures, add(signaturePos, 0x20)))
            s := mload(add(signatures, add(signaturePos, 0x40)))
            v := byte(0, mload(add(signatures, add(signaturePos, 0x60))))
        }
    }
}
