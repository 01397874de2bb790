// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMarginManager} from "../interfaces/IMarginManager.sol";
import {SignerSet} from "./SignerSet.sol";

/// @title QuorumLib
/// @notice Verifies an M-of-N quorum: bit i of the bitmap stands for signer i; exactly `threshold` 64-byte EIP-2098
///         signatures (r ‖ vs), one per set bit, in ascending index order; low-s only.
/// @dev Why this is cheaper than a Safe-style loop: the bitmap names the signer, so each signature costs one
///      ecrecover and one warm 20-byte code read (SignerSet) instead of a cold owner-mapping SLOAD and an ordering
///      check; 64-byte signatures carry no v byte.
library QuorumLib {
    /// @dev secp256k1n / 2: a larger s is the malleable twin of a valid signature.
    uint256 internal constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    uint256 private constant S_MASK = 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff;

    /// @notice Reverts unless `q` carries `threshold` valid signatures over `digest` by the first `n` signers stored at
    ///         `signerData`.
    function verify(bytes32 digest, IMarginManager.Quorum calldata q, address signerData, uint256 n, uint256 threshold)
        internal
        view
    {
        uint256 bitmap = q.signerBitmap;
        if (bitmap >> n != 0) revert IMarginManager.BitmapOutOfRange(bitmap, n);
        bytes calldata sigs = q.signatures;
        uint256 bitsSet;
        for (uint256 b = bitmap; b != 0; b &= b - 1) {
            ++bitsSet;
        }
        if (bitsSet != threshold || sigs.length != threshold * 64) {
            revert IMarginManager.WrongSignatureCount(threshold, bitsSet, sigs.length);
        }
        uint256 k;
        for (uint256 i; bitmap != 0; ++i) {
            if (bitmap & 1 != 0) {
                bytes32 r;
                uint256 vs;
                // solhint-disable-next-line no-inline-assembly
                assembly ("memory-safe") {
                    let p := add(sigs.offset, shl(6, k))
                    r := calldataload(p)
                    vs := calldataload(add(p, 0x20))
                }
                uint256 s = vs & S_MASK;
                if (s > HALF_N) revert IMarginManager.HighS(k);
                // forge-lint: disable-next-line(unsafe-typecast)
                address recovered = ecrecover(digest, uint8(27 + (vs >> 255)), r, bytes32(s));
                if (recovered == address(0) || recovered != SignerSet.at(signerData, i)) {
                    revert IMarginManager.InvalidSigner(i, recovered);
                }
                ++k;
            }
            bitmap >>= 1;
        }
    }
}
