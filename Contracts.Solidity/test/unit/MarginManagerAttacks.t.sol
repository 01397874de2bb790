// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MarginManager} from "../../src/MarginManager.sol";
import {IMarginManager} from "../../src/interfaces/IMarginManager.sol";
import {MarginManagerBase} from "../utils/MarginManagerBase.sol";

/// @notice What a relayer, a trader or a partial oracle compromise could try, and the exact refusal each gets.
contract MarginManagerAttacksTest is MarginManagerBase {
    bytes32 internal id;
    IMarginManager.RiskDecision internal adj;

    function setUp() public override {
        super.setUp();
        id = openAs(alice, pid(1), true, 1000e6);
        adj = adjustDecision(id, 1, 2000, 200, 500);
    }

    function test_quorum_RevertWhen_OneSignerSignsTwice() public {
        bytes32 digest = mm.decisionDigest(adj);
        IMarginManager.Quorum memory q = quorum(digest);
        // Bits 0,1,2 but signer 0 also provides the signature for bit 1.
        q.signatures = bytes.concat(
            compactSig(signerKey(0), digest), compactSig(signerKey(0), digest), compactSig(signerKey(2), digest)
        );
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidSigner.selector, 1, vm.addr(signerKey(0))));
        mm.applyDecision(adj, q);
    }

    function test_quorum_RevertWhen_DuplicateSignatureWithOneBit() public {
        bytes32 digest = mm.decisionDigest(adj);
        bytes memory sig = compactSig(signerKey(0), digest);
        IMarginManager.Quorum memory q = IMarginManager.Quorum(1, bytes.concat(sig, sig, sig));
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.WrongSignatureCount.selector, 3, 1, 192));
        mm.applyDecision(adj, q);
    }

    function test_quorum_RevertWhen_SignatureHasFlippedS() public {
        bytes32 digest = mm.decisionDigest(adj);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(signerKey(1), digest);
        // (r, n - s) with the other parity is the same signature's malleable twin.
        uint256 flipped = SECP256K1_N - uint256(s);
        uint256 vBit = v == 27 ? 1 : 0;
        IMarginManager.Quorum memory q = quorum(digest);
        bytes memory twin = abi.encodePacked(r, bytes32(flipped | (vBit << 255)));
        q.signatures = bytes.concat(compactSig(signerKey(0), digest), twin, compactSig(signerKey(2), digest));
        if (flipped < (1 << 255)) {
            vm.expectRevert(abi.encodeWithSelector(IMarginManager.HighS.selector, 1));
        } else {
            // The usual case: n - s ≥ 2^255 cannot be written in EIP-2098 (the top bit is v), so the twin decodes to
            // another s and recovers to a stranger.
            uint256 vs = flipped | (vBit << 255);
            address stranger = ecrecover(digest, uint8(27 + (vs >> 255)), r, bytes32(vs & ((1 << 255) - 1)));
            vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidSigner.selector, 1, stranger));
        }
        mm.applyDecision(adj, q);
    }

    function test_quorum_RevertWhen_SAboveHalfOrder() public {
        bytes32 digest = mm.decisionDigest(adj);
        IMarginManager.Quorum memory q = quorum(digest);
        q.signatures = bytes.concat(
            compactSig(signerKey(0), digest),
            compactSig(signerKey(1), digest),
            abi.encodePacked(bytes32(uint256(1)), bytes32(HALF_N + 1))
        );
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.HighS.selector, 2));
        mm.applyDecision(adj, q);
    }

    function test_quorum_RevertWhen_TooFewSignatures() public {
        bytes32 digest = mm.decisionDigest(adj);
        uint256[] memory two_ = new uint256[](2);
        (two_[0], two_[1]) = (0, 4);
        IMarginManager.Quorum memory q = quorumFrom(digest, two_);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.WrongSignatureCount.selector, 3, 2, 128));
        mm.applyDecision(adj, q);
    }

    function test_quorum_RevertWhen_TooManySignatures() public {
        bytes32 digest = mm.decisionDigest(adj);
        uint256[] memory four = new uint256[](4);
        (four[0], four[1], four[2], four[3]) = (0, 1, 2, 3);
        IMarginManager.Quorum memory q = quorumFrom(digest, four);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.WrongSignatureCount.selector, 3, 4, 256));
        mm.applyDecision(adj, q);
    }

    function test_quorum_RevertWhen_SignatureBytesDoNotMatchBits() public {
        bytes32 digest = mm.decisionDigest(adj);
        IMarginManager.Quorum memory q = quorum(digest);
        q.signatures = bytes.concat(q.signatures, hex"00");
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.WrongSignatureCount.selector, 3, 3, 193));
        mm.applyDecision(adj, q);
    }

    function test_quorum_RevertWhen_BitBeyondSignerCount() public {
        bytes32 digest = mm.decisionDigest(adj);
        IMarginManager.Quorum memory q = quorum(digest);
        q.signerBitmap |= 1 << 5;
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.BitmapOutOfRange.selector, q.signerBitmap, 5));
        mm.applyDecision(adj, q);
    }

    function test_quorum_RevertWhen_HighestBitSet() public {
        bytes32 digest = mm.decisionDigest(adj);
        IMarginManager.Quorum memory q = quorum(digest);
        q.signerBitmap = (1 << 255) | 3;
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.BitmapOutOfRange.selector, q.signerBitmap, 5));
        mm.applyDecision(adj, q);
    }

    function test_quorum_RevertWhen_SignerIsOutsider() public {
        bytes32 digest = mm.decisionDigest(adj);
        IMarginManager.Quorum memory q = quorum(digest);
        uint256 outsider = 0xBADBAD;
        q.signatures = bytes.concat(
            compactSig(signerKey(0), digest), compactSig(signerKey(1), digest), compactSig(outsider, digest)
        );
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidSigner.selector, 2, vm.addr(outsider)));
        mm.applyDecision(adj, q);
    }

    function test_quorum_RevertWhen_SignaturesOutOfOrder() public {
        bytes32 digest = mm.decisionDigest(adj);
        IMarginManager.Quorum memory q = quorum(digest);
        q.signatures = bytes.concat(
            compactSig(signerKey(1), digest), compactSig(signerKey(0), digest), compactSig(signerKey(2), digest)
        );
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidSigner.selector, 0, vm.addr(signerKey(1))));
        mm.applyDecision(adj, q);
    }

    function test_quorum_RevertWhen_SignerWasRemoved() public {
        bytes32 digest = mm.decisionDigest(adj);
        IMarginManager.Quorum memory q = quorum(digest); // signed by 0, 1, 2 before the rotation
        address[] memory list = signerAddresses();
        list[2] = vm.addr(0xFEED);
        vm.prank(admin);
        mm.setSigners(list, 3);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidSigner.selector, 2, vm.addr(signerKey(2))));
        mm.applyDecision(adj, q);
    }

    function test_quorum_acceptsAnyThreeOfFive() public {
        bytes32 digest = mm.decisionDigest(adj);
        mm.applyDecision(adj, quorumFrom(digest, idx(1, 3, 4)));
        assertEq(mm.getPosition(id).version, 2, "applied by signers 1, 3, 4");
    }

    function test_replay_RevertWhen_OtherChain() public {
        bytes32 digest = mm.decisionDigest(adj);
        IMarginManager.Quorum memory q = quorum(digest);
        vm.chainId(4326);
        vm.expectRevert(); // the digest differs, so the signatures recover to strangers
        mm.applyDecision(adj, q);
        assertTrue(mm.decisionDigest(adj) != digest, "chain id is in the digest");
    }

    function test_replay_RevertWhen_OtherContract() public {
        MarginManager other = new MarginManager(address(usdc), admin, guardian, signerAddresses(), THRESHOLD);
        vm.startPrank(admin);
        other.setMarket(ETH, marketConfig());
        other.setModel(MODEL, true);
        vm.stopPrank();
        IMarginManager.RiskDecision memory d = openDecision(pid(2), alice, true, 1000e6, 10_000e6);
        IMarginManager.Quorum memory q = signed(d); // signed for mm
        vm.prank(alice);
        usdc.approve(address(other), type(uint256).max);
        vm.expectRevert();
        vm.prank(alice);
        other.openPosition(d, q);
        assertTrue(other.decisionDigest(d) != mm.decisionDigest(d), "contract address is in the digest");
    }

    function test_replay_RevertWhen_DecisionAppliedTwice() public {
        IMarginManager.Quorum memory q = signed(adj);
        mm.applyDecision(adj, q);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.StaleVersion.selector, id, 2, 1));
        mm.applyDecision(adj, q);
    }

    function test_replay_RevertWhen_BatchReused() public {
        IMarginManager.RiskDecision[] memory ds = one(adj);
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(11, ds);
        mm.applyDecisions(11, validUntil, ds, q);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.BatchNonceUsed.selector, 11));
        mm.applyDecisions(11, validUntil, ds, q);
    }

    function test_replay_RevertWhen_BatchSignaturesUsedWithOtherNonce() public {
        IMarginManager.RiskDecision[] memory ds = one(adj);
        (uint64 validUntil, IMarginManager.Quorum memory q) = batch(12, ds);
        vm.expectRevert(); // the nonce is in the digest
        mm.applyDecisions(13, validUntil, ds, q);
    }

    function test_replay_RevertWhen_SingleSignaturesUsedAsBatch() public {
        IMarginManager.Quorum memory q = signed(adj);
        vm.expectRevert(); // a RiskDecision digest is not a DecisionList digest
        mm.applyDecisions(14, adj.validUntil, one(adj), q);
    }

    function test_replay_RevertWhen_OpenReusedForNewPosition() public {
        IMarginManager.RiskDecision memory d = openDecision(pid(3), alice, true, 1000e6, 10_000e6);
        IMarginManager.Quorum memory q = signed(d);
        vm.prank(alice);
        mm.openPosition(d, q);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.PositionExists.selector, pid(3)));
        vm.prank(alice);
        mm.openPosition(d, q);
    }

    function test_liquidate_RevertWhen_PositionHealthy() public {
        IMarginManager.RiskDecision memory d = liquidateDecision(id, 1, PRICE, 10_000);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotLiquidatable.selector, id, int256(1000e6), 250e6));
        mm.applyDecision(d, q);
    }

    function test_liquidate_RevertWhen_PriceStale() public {
        // A liquidation signed during a dip cannot be held back and used after the price recovered.
        IMarginManager.RiskDecision memory d = liquidateDecision(id, 1, 1840e18, 10_000);
        d.validUntil = uint64(block.timestamp + 3600);
        IMarginManager.Quorum memory q = signed(d);
        vm.warp(block.timestamp + 61);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginManager.PriceTooOld.selector, d.priceTimestamp, 60, block.timestamp)
        );
        mm.applyDecision(d, q);
    }

    function test_liquidate_RevertWhen_TopUpRestoredHealthFirst() public {
        IMarginManager.RiskDecision memory d = liquidateDecision(id, 1, 1840e18, 10_000);
        IMarginManager.Quorum memory q = signed(d);
        vm.prank(alice);
        mm.addCollateral(id, 200e6);
        // The decision is still current (a top-up keeps the version); health is re-checked on 1200 of collateral.
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotLiquidatable.selector, id, int256(400e6), 250e6));
        mm.applyDecision(d, q);
        assertEq(mm.getPosition(id).collateral, 1200e6, "position kept");
    }

    function test_liquidate_RevertWhen_TighterMarginStillInGrace() public {
        // The oracle tightens to 6% and at once tries to liquidate against it: the grace period protects the trader.
        apply_(adjustDecision(id, 1, 2000, 600, 3000));
        IMarginManager.RiskDecision memory d = liquidateDecision(id, 2, 1900e18, 10_000);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotLiquidatable.selector, id, int256(500e6), 250e6));
        mm.applyDecision(d, q);
    }

    function test_calldata_RevertWhen_DirtyHighBits() public {
        IMarginManager.Quorum memory q = signed(adj);
        bytes memory data = abi.encodeCall(mm.applyDecision, (adj, q));
        // Set a high byte of `kind` (first word of the decision): the decoder must not read it as ADJUST.
        data[4] = 0x01;
        (bool ok,) = address(mm).call(data);
        assertTrue(!ok, "dirty calldata refused");
        assertEq(mm.getPosition(id).version, 1, "nothing applied");
    }
}
