// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title SignerSet
/// @notice Keeps the oracle signer list in the code of a tiny data contract (the SSTORE2 pattern): reading signers
///         then costs one cold EXTCODECOPY (2,600 gas) plus ~100 per further signer, instead of a cold SLOAD
///         (2,100) per signer. A rotation deploys a new data contract; it is rare and done by the admin.
/// @dev Code layout: one STOP byte (so the data can never run) followed by the addresses, 20 bytes each.
library SignerSet {
    /// @notice The data contract could not be created.
    error SignerSetWriteFailed();

    /// @notice Deploys `list` as code and returns the data contract's address.
    function write(address[] memory list) internal returns (address pointer) {
        uint256 n = list.length;
        bytes memory data = new bytes(20 * n);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let dst := add(data, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                // Left-aligned 32-byte stores in order: each one's 12-byte tail is overwritten by the next address.
                mstore(add(dst, mul(i, 20)), shl(96, mload(add(list, add(0x20, shl(5, i))))))
            }
        }
        // Creation code: copy everything after these 11 bytes into memory and return it as the runtime code.
        bytes memory creation = abi.encodePacked(hex"600B5981380380925939F3", hex"00", data);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            pointer := create(0, add(creation, 0x20), mload(creation))
        }
        if (pointer == address(0)) revert SignerSetWriteFailed();
    }

    /// @notice Signer `i` of the set stored at `pointer` (the caller keeps `i` below the set's size).
    function at(address pointer, uint256 i) internal view returns (address signer) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // Scratch space 0x00..0x1f: copy 20 bytes, read them left-aligned (the word's tail is shifted out).
            extcodecopy(pointer, 0x00, add(1, mul(i, 20)), 20)
            signer := shr(96, mload(0x00))
        }
    }
}
