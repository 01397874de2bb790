// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MarginManager} from "../../src/MarginManager.sol";
import {IMarginManager} from "../../src/interfaces/IMarginManager.sol";
import {DecisionHash} from "../../src/libraries/DecisionHash.sol";
import {QuorumHarness} from "../gas/QuorumVerifiers.sol";
import {TestBase} from "../utils/Vm.sol";

/// @notice The contract against test/vectors/eip712.json, which cast computed on its own (generate.sh): type hashes,
///         domain separator, a decision's and a batch's digests at the address a fresh `./aml deploy` uses, and
///         quorum signatures by anvil accounts 1..3. The C# side tests against the same file.
contract Eip712VectorsTest is TestBase {
    string internal json;
    MarginManager internal mm;

    function setUp() public {
        json = vm.readFile("test/vectors/eip712.json");
        vm.chainId(vm.parseJsonUint(json, ".domain.chainId"));
        address[] memory signers = new address[](3);
        for (uint256 i; i < 3; ++i) {
            signers[i] = vm.parseJsonAddress(json, string.concat(".signers[", vm.toString(i), "]"));
        }
        MarginManager deployed = new MarginManager(address(1), address(2), address(3), signers, 2);
        // The digest depends on the contract's address: run the same code at the vector's address.
        address at = vm.parseJsonAddress(json, ".domain.verifyingContract");
        vm.etch(at, address(deployed).code);
        mm = MarginManager(at);
    }

    function test_typeHashes_matchVector() public view {
        assertEq(DecisionHash.RISK_DECISION_TYPEHASH, vm.parseJsonBytes32(json, ".riskDecisionTypeHash"), "decision");
        assertEq(DecisionHash.DECISION_LIST_TYPEHASH, vm.parseJsonBytes32(json, ".decisionListTypeHash"), "list");
        assertEq(mm.DOMAIN_SEPARATOR(), vm.parseJsonBytes32(json, ".domainSeparator"), "domain separator");
    }

    function test_decisionDigest_matchesVector() public view {
        IMarginManager.RiskDecision memory d = _decision(".decision.fields");
        assertEq(mm.decisionDigest(d), vm.parseJsonBytes32(json, ".decision.digest"), "digest");
    }

    function test_batchDigest_matchesVector() public view {
        IMarginManager.RiskDecision[] memory ds = new IMarginManager.RiskDecision[](2);
        ds[0] = _decision(".batch.decisions[0]");
        ds[1] = _decision(".batch.decisions[1]");
        uint64 nonce = uint64(vm.parseJsonUint(json, ".batch.batchNonce"));
        uint64 validUntil = uint64(vm.parseJsonUint(json, ".batch.validUntil"));
        assertEq(mm.batchDigest(nonce, validUntil, ds), vm.parseJsonBytes32(json, ".batch.digest"), "batch digest");
    }

    function test_quorum_acceptsVectorSignatures() public {
        address[] memory signers = new address[](3);
        for (uint256 i; i < 3; ++i) {
            signers[i] = vm.parseJsonAddress(json, string.concat(".signers[", vm.toString(i), "]"));
        }
        QuorumHarness harness = new QuorumHarness(signers, 3);
        harness.verify(vm.parseJsonBytes32(json, ".decision.digest"), _quorum(".decision.quorum"));
        harness.verify(vm.parseJsonBytes32(json, ".batch.digest"), _quorum(".batch.quorum"));
        vm.expectRevert();
        harness.verify(vm.parseJsonBytes32(json, ".batch.digest"), _quorum(".decision.quorum"));
    }

    function _quorum(string memory path) internal view returns (IMarginManager.Quorum memory q) {
        q.signerBitmap = vm.parseJsonUint(json, string.concat(path, ".signerBitmap"));
        q.signatures = vm.parseJsonBytes(json, string.concat(path, ".signatures"));
    }

    function _decision(string memory p) internal view returns (IMarginManager.RiskDecision memory d) {
        d.kind = uint8(_uint(p, ".kind"));
        d.positionId = vm.parseJsonBytes32(json, string.concat(p, ".positionId"));
        d.marketId = vm.parseJsonBytes32(json, string.concat(p, ".marketId"));
        d.trader = vm.parseJsonAddress(json, string.concat(p, ".trader"));
        d.isLong = vm.parseJsonBool(json, string.concat(p, ".isLong"));
        d.collateral = uint128(_uint(p, ".collateral"));
        d.size = uint128(_uint(p, ".size"));
        d.maxLeverageX100 = uint32(_uint(p, ".maxLeverageX100"));
        d.maintenanceMarginBps = uint32(_uint(p, ".maintenanceMarginBps"));
        d.closeFactorBps = uint32(_uint(p, ".closeFactorBps"));
        d.riskScoreBps = uint16(_uint(p, ".riskScoreBps"));
        d.markPriceE18 = uint128(_uint(p, ".markPriceE18"));
        d.priceTimestamp = uint64(_uint(p, ".priceTimestamp"));
        d.positionVersion = uint64(_uint(p, ".positionVersion"));
        d.validUntil = uint64(_uint(p, ".validUntil"));
        d.modelHash = vm.parseJsonBytes32(json, string.concat(p, ".modelHash"));
        d.featuresHash = vm.parseJsonBytes32(json, string.concat(p, ".featuresHash"));
    }

    function _uint(string memory p, string memory field) internal view returns (uint256) {
        return vm.parseJsonUint(json, string.concat(p, field));
    }
}
