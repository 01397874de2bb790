// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Test double for the C# Ethereum library: emits an event, reverts in the three ways a contract can,
/// and verifies EIP-712 RiskDecision / DecisionList signatures with the exact types and domain of CONTRACT.md.
/// setSigners, signers, threshold, decisionDigest and batchDigest have MarginManager's signatures.
contract Probe {
    struct RiskDecision {
        uint8 kind;
        bytes32 positionId;
        bytes32 marketId;
        address trader;
        bool isLong;
        uint128 collateral;
        uint128 size;
        uint32 maxLeverageX100;
        uint32 maintenanceMarginBps;
        uint32 closeFactorBps;
        uint16 riskScoreBps;
        uint128 markPriceE18;
        uint64 priceTimestamp;
        uint64 positionVersion;
        uint64 validUntil;
        bytes32 modelHash;
        bytes32 featuresHash;
    }

    error TooLarge(uint256 value, uint256 limit);
    error NotSigned(address recovered, bytes32 digest);

    event Pinged(address indexed sender, uint256 value, bytes32 tag, string note);

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant DECISION_TYPEHASH = keccak256(
        "RiskDecision(uint8 kind,bytes32 positionId,bytes32 marketId,address trader,bool isLong,uint128 collateral,uint128 size,uint32 maxLeverageX100,uint32 maintenanceMarginBps,uint32 closeFactorBps,uint16 riskScoreBps,uint128 markPriceE18,uint64 priceTimestamp,uint64 positionVersion,uint64 validUntil,bytes32 modelHash,bytes32 featuresHash)"
    );
    bytes32 private constant LIST_TYPEHASH = keccak256(
        "DecisionList(uint64 batchNonce,uint64 validUntil,RiskDecision[] decisions)RiskDecision(uint8 kind,bytes32 positionId,bytes32 marketId,address trader,bool isLong,uint128 collateral,uint128 size,uint32 maxLeverageX100,uint32 maintenanceMarginBps,uint32 closeFactorBps,uint16 riskScoreBps,uint128 markPriceE18,uint64 priceTimestamp,uint64 positionVersion,uint64 validUntil,bytes32 modelHash,bytes32 featuresHash)"
    );
    uint256 private constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    uint256 public total;
    address[] private _signers;
    uint8 private _threshold;

    /// @notice Same signature as MarginManager.setSigners, so the C# binding's encoder is exercised on chain.
    function setSigners(address[] calldata newSigners, uint8 newThreshold) external {
        _signers = newSigners;
        _threshold = newThreshold;
    }

    function signers() external view returns (address[] memory) {
        return _signers;
    }

    function threshold() external view returns (uint8) {
        return _threshold;
    }

    function ping(uint256 value, bytes32 tag, string calldata note) external {
        if (value > 100) revert TooLarge(value, 100);
        total += value;
        emit Pinged(msg.sender, value, tag, note);
    }

    function fail(string calldata reason) external pure {
        revert(reason);
    }

    function divide(uint256 a, uint256 b) external pure returns (uint256) {
        return a / b;
    }

    function domainSeparator() public view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("MarginManager"), keccak256("1"), block.chainid, address(this))
        );
    }

    /// @dev Every field is a static 32-byte word, so abi.encode(d) is exactly EIP-712's encodeData.
    function decisionHash(RiskDecision calldata d) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(DECISION_TYPEHASH, abi.encode(d)));
    }

    function decisionDigest(RiskDecision calldata d) public view returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", domainSeparator(), decisionHash(d)));
    }

    function batchDigest(uint64 batchNonce, uint64 validUntil, RiskDecision[] calldata ds)
        public
        view
        returns (bytes32)
    {
        bytes32[] memory hashes = new bytes32[](ds.length);
        for (uint256 i = 0; i < ds.length; i++) {
            hashes[i] = decisionHash(ds[i]);
        }
        bytes32 structHash =
            keccak256(abi.encode(LIST_TYPEHASH, batchNonce, validUntil, keccak256(abi.encodePacked(hashes))));
        return keccak256(abi.encodePacked(hex"1901", domainSeparator(), structHash));
    }

    /// @notice Recovers the signer of an EIP-2098 compact signature (r ‖ vs), rejecting high s.
    function recoverCompact(bytes32 digest, bytes calldata sig) public pure returns (address) {
        bytes32 r = bytes32(sig[0:32]);
        bytes32 vs = bytes32(sig[32:64]);
        uint256 s = uint256(vs) & ((1 << 255) - 1);
        require(s <= HALF_N, "high s");
        uint8 v = uint8((uint256(vs) >> 255) + 27);
        return ecrecover(digest, v, r, bytes32(s));
    }

    function recoverDecisionSigner(RiskDecision calldata d, bytes calldata sig) external view returns (address) {
        return recoverCompact(decisionDigest(d), sig);
    }

    /// @notice The quorum rule of CONTRACT.md: exactly `threshold` signatures, ascending signer index, one per bit.
    function verifyQuorum(
        bytes32 digest,
        address[] calldata signerSet,
        uint8 quorumThreshold,
        uint256 bitmap,
        bytes calldata sigs
    ) external pure returns (bool) {
        if (sigs.length != uint256(quorumThreshold) * 64 || bitmap >> signerSet.length != 0) {
            return false;
        }
        uint256 k = 0;
        for (uint256 i = 0; i < signerSet.length; i++) {
            if (bitmap & (1 << i) == 0) continue;
            if (k == quorumThreshold) return false;
            address recovered = recoverCompact(digest, sigs[k * 64:(k + 1) * 64]);
            if (recovered != signerSet[i]) revert NotSigned(recovered, digest);
            k++;
        }
        return k == quorumThreshold;
    }
}
