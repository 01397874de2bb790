// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MarginManager} from "../../src/MarginManager.sol";
import {IMarginManager} from "../../src/interfaces/IMarginManager.sol";
import {MarginManagerBase} from "../utils/MarginManagerBase.sol";

/// @notice Constructor, governance, failsafes, liquidity and views, including the EIP-712 digests recomputed
///         independently from the type strings in CONTRACT.md.
contract MarginManagerGovernanceTest is MarginManagerBase {
    string internal constant RISK_DECISION_TYPE =
        "RiskDecision(uint8 kind,bytes32 positionId,bytes32 marketId,address trader,bool isLong,uint128 collateral,uint128 size,uint32 maxLeverageX100,uint32 maintenanceMarginBps,uint32 closeFactorBps,uint16 riskScoreBps,uint128 markPriceE18,uint64 priceTimestamp,uint64 positionVersion,uint64 validUntil,bytes32 modelHash,bytes32 featuresHash)";

    // --- constructor -----------------------------------------------------------------------------------------

    function test_constructor_storesRolesAndSigners() public view {
        assertEq(mm.admin(), admin, "admin");
        assertEq(mm.guardian(), guardian, "guardian");
        assertEq(mm.collateralToken(), address(usdc), "token");
        assertEq(mm.threshold(), THRESHOLD, "threshold");
        address[] memory list = mm.signers();
        assertEq(list.length, SIGNER_COUNT, "count");
        for (uint256 i; i < SIGNER_COUNT; ++i) {
            assertEq(list[i], vm.addr(signerKey(i)), "signer order");
        }
    }

    function test_constructor_RevertWhen_ZeroToken() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.ZeroAddress.selector, "collateralToken"));
        new MarginManager(address(0), admin, guardian, signerAddresses(), 3);
    }

    function test_constructor_RevertWhen_ZeroAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.ZeroAddress.selector, "admin"));
        new MarginManager(address(usdc), address(0), guardian, signerAddresses(), 3);
    }

    function test_constructor_RevertWhen_ZeroGuardian() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.ZeroAddress.selector, "guardian"));
        new MarginManager(address(usdc), admin, address(0), signerAddresses(), 3);
    }

    function test_constructor_RevertWhen_ThresholdNotMajority() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidSignerSet.selector, 5, 2));
        new MarginManager(address(usdc), admin, guardian, signerAddresses(), 2);
    }

    // --- setSigners ------------------------------------------------------------------------------------------

    function test_setSigners_replacesSetAndEmits() public {
        address[] memory list = new address[](3);
        (list[0], list[1], list[2]) = (address(11), address(12), address(13));
        vm.expectEmit(address(mm));
        emit IMarginManager.SignersUpdated(list, 2);
        vm.prank(admin);
        mm.setSigners(list, 2);
        assertEq(mm.threshold(), 2, "threshold");
        assertEq(mm.signers().length, 3, "shrunk");
        assertEq(mm.signers()[2], address(13), "last");
    }

    function test_setSigners_RevertWhen_NotAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotAdmin.selector, guardian));
        vm.prank(guardian);
        mm.setSigners(signerAddresses(), 3);
    }

    function test_setSigners_RevertWhen_Empty() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidSignerSet.selector, 0, 1));
        vm.prank(admin);
        mm.setSigners(new address[](0), 1);
    }

    function test_setSigners_RevertWhen_MoreThan32() public {
        address[] memory list = new address[](33);
        for (uint256 i; i < 33; ++i) {
            list[i] = address(uint160(100 + i));
        }
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidSignerSet.selector, 33, 20));
        vm.prank(admin);
        mm.setSigners(list, 20);
    }

    function test_setSigners_accepts32() public {
        address[] memory list = new address[](32);
        for (uint256 i; i < 32; ++i) {
            list[i] = address(uint160(100 + i));
        }
        vm.prank(admin);
        mm.setSigners(list, 17);
        assertEq(mm.signers().length, 32, "32 signers");
    }

    function test_setSigners_RevertWhen_ThresholdZero() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidSignerSet.selector, 5, 0));
        vm.prank(admin);
        mm.setSigners(signerAddresses(), 0);
    }

    function test_setSigners_RevertWhen_ThresholdAboveCount() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidSignerSet.selector, 5, 6));
        vm.prank(admin);
        mm.setSigners(signerAddresses(), 6);
    }

    function test_setSigners_RevertWhen_ZeroSigner() public {
        address[] memory list = signerAddresses();
        list[3] = address(0);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.ZeroSigner.selector, 3));
        vm.prank(admin);
        mm.setSigners(list, 3);
    }

    function test_setSigners_RevertWhen_DuplicateSigner() public {
        address[] memory list = signerAddresses();
        list[4] = list[1];
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.DuplicateSigner.selector, list[1]));
        vm.prank(admin);
        mm.setSigners(list, 3);
    }

    // --- setModel / setMarket --------------------------------------------------------------------------------

    function test_setModel_registersAndDeregisters() public {
        bytes32 h = keccak256("model-v2");
        vm.expectEmit(address(mm));
        emit IMarginManager.ModelUpdated(h, true);
        vm.prank(admin);
        mm.setModel(h, true);
        assertEq(mm.isModelAllowed(h), true, "allowed");
        vm.prank(admin);
        mm.setModel(h, false);
        assertEq(mm.isModelAllowed(h), false, "removed");
    }

    function test_setModel_RevertWhen_ZeroHash() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.ZeroModelHash.selector));
        vm.prank(admin);
        mm.setModel(bytes32(0), true);
    }

    function test_setModel_RevertWhen_NotAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotAdmin.selector, alice));
        vm.prank(alice);
        mm.setModel(keccak256("x"), true);
    }

    function test_setMarket_listsOnceAndKeepsModeOnUpdate() public {
        bytes32 sol = keccak256("SOL-USD");
        vm.startPrank(admin);
        mm.setMarket(sol, marketConfig());
        mm.setMarketMode(sol, 1);
        IMarginManager.MarketConfig memory cfg = marketConfig();
        cfg.maxLeverageX100 = 1000;
        mm.setMarket(sol, cfg);
        vm.stopPrank();
        (IMarginManager.MarketConfig memory got, uint8 mode) = mm.getMarket(sol);
        assertEq(got.maxLeverageX100, 1000, "updated");
        assertEq(got.tighteningGrace, 3600, "grace");
        assertEq(mode, 1, "mode kept");
        bytes32[] memory ids = mm.marketIds();
        assertEq(ids.length, 3, "listed once");
        assertEq(ids[2], sol, "order");
    }

    function test_setMarket_RevertWhen_NotAdmin() public {
        IMarginManager.MarketConfig memory cfg = marketConfig();
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotAdmin.selector, guardian));
        vm.prank(guardian);
        mm.setMarket(ETH, cfg);
    }

    function test_setMarket_RevertWhen_FieldOutOfRange() public {
        IMarginManager.MarketConfig memory cfg = marketConfig();
        cfg.maxLeverageX100 = 99;
        _expectBadMarket(cfg, "maxLeverageX100");
        cfg = marketConfig();
        cfg.minMaintenanceMarginBps = 0;
        _expectBadMarket(cfg, "minMaintenanceMarginBps");
        cfg = marketConfig();
        cfg.maxMaintenanceMarginBps = 40;
        _expectBadMarket(cfg, "maxMaintenanceMarginBps");
        cfg = marketConfig();
        cfg.maxMaintenanceMarginBps = 10_001;
        _expectBadMarket(cfg, "maxMaintenanceMarginBps");
        cfg = marketConfig();
        cfg.maxMarginStepBps = 10_001;
        _expectBadMarket(cfg, "maxMarginStepBps");
        cfg = marketConfig();
        cfg.liquidationPenaltyBps = 10_001;
        _expectBadMarket(cfg, "liquidationPenaltyBps");
        cfg = marketConfig();
        cfg.maxPriceAge = 0;
        _expectBadMarket(cfg, "maxPriceAge");
        cfg = marketConfig();
        cfg.maxPriceAge = uint64(type(uint32).max) + 1;
        _expectBadMarket(cfg, "maxPriceAge");
        cfg = marketConfig();
        cfg.tighteningGrace = uint64(type(uint32).max) + 1;
        _expectBadMarket(cfg, "tighteningGrace");
    }

    // --- halt / resume / modes / freeze ----------------------------------------------------------------------

    function test_halt_byGuardianAndResumeByAdmin() public {
        vm.expectEmit(address(mm));
        emit IMarginManager.Halted(guardian);
        vm.prank(guardian);
        mm.halt();
        assertEq(mm.halted(), true, "halted");
        vm.prank(admin);
        mm.resume();
        assertEq(mm.halted(), false, "resumed");
    }

    function test_halt_RevertWhen_Stranger() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotGuardian.selector, alice));
        vm.prank(alice);
        mm.halt();
    }

    function test_resume_RevertWhen_Guardian() public {
        vm.prank(guardian);
        mm.halt();
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotAdmin.selector, guardian));
        vm.prank(guardian);
        mm.resume();
    }

    function test_setMarketMode_guardianRestrictsAdminLoosens() public {
        vm.prank(guardian);
        mm.setMarketMode(ETH, 2);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.GuardianCannotLoosen.selector, ETH, 2, 1));
        vm.prank(guardian);
        mm.setMarketMode(ETH, 1);
        vm.prank(admin);
        mm.setMarketMode(ETH, 0);
        (, uint8 mode) = mm.getMarket(ETH);
        assertEq(mode, 0, "active again");
    }

    function test_setMarketMode_RevertWhen_InvalidMode() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidMode.selector, 3));
        vm.prank(admin);
        mm.setMarketMode(ETH, 3);
    }

    function test_setMarketMode_RevertWhen_Unlisted() public {
        bytes32 xrp = keccak256("XRP-USD");
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.MarketNotListed.selector, xrp));
        vm.prank(admin);
        mm.setMarketMode(xrp, 1);
    }

    function test_setMarketMode_RevertWhen_Stranger() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotGuardian.selector, alice));
        vm.prank(alice);
        mm.setMarketMode(ETH, 2);
    }

    function test_freezePosition_bumpsVersionAndUnfreezes() public {
        bytes32 id = openAs(alice, pid(1), true, 1000e6);
        vm.expectEmit(address(mm));
        emit IMarginManager.PositionFrozen(id, true);
        vm.prank(guardian);
        mm.freezePosition(id, true);
        assertEq(mm.getPosition(id).frozen, true, "frozen");
        vm.prank(guardian);
        mm.freezePosition(id, false);
        IMarginManager.Position memory p = mm.getPosition(id);
        assertEq(p.frozen, false, "unfrozen");
        assertEq(p.version, 3, "two changes");
    }

    function test_freezePosition_RevertWhen_Stranger() public {
        bytes32 id = openAs(alice, pid(1), true, 1000e6);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotGuardian.selector, alice));
        vm.prank(alice);
        mm.freezePosition(id, true);
    }

    function test_freezePosition_RevertWhen_NotOpen() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.PositionNotOpen.selector, pid(5), 0));
        vm.prank(guardian);
        mm.freezePosition(pid(5), true);
    }

    function test_closePosition_RevertWhen_PositionFrozen() public {
        bytes32 id = openAs(alice, pid(1), true, 1000e6);
        vm.prank(guardian);
        mm.freezePosition(id, true);
        IMarginManager.RiskDecision memory d = closeDecision(id, alice, 2, PRICE);
        IMarginManager.Quorum memory q = signed(d);
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.PositionIsFrozen.selector, id));
        vm.prank(alice);
        mm.closePosition(d, q);
    }

    // --- roles -----------------------------------------------------------------------------------------------

    function test_transferAdmin_twoStep() public {
        vm.prank(admin);
        mm.transferAdmin(bob);
        assertEq(mm.admin(), admin, "not yet");
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotPendingAdmin.selector, alice));
        vm.prank(alice);
        mm.acceptAdmin();
        vm.expectEmit(address(mm));
        emit IMarginManager.AdminChanged(admin, bob);
        vm.prank(bob);
        mm.acceptAdmin();
        assertEq(mm.admin(), bob, "new admin");
    }

    function test_transferAdmin_RevertWhen_Zero() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.ZeroAddress.selector, "newAdmin"));
        vm.prank(admin);
        mm.transferAdmin(address(0));
    }

    function test_setGuardian_replaces() public {
        vm.prank(admin);
        mm.setGuardian(bob);
        assertEq(mm.guardian(), bob, "guardian");
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotGuardian.selector, guardian));
        vm.prank(guardian);
        mm.halt();
    }

    function test_setGuardian_RevertWhen_Zero() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.ZeroAddress.selector, "newGuardian"));
        vm.prank(admin);
        mm.setGuardian(address(0));
    }

    function test_setGuardian_RevertWhen_NotAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotAdmin.selector, guardian));
        vm.prank(guardian);
        mm.setGuardian(bob);
    }

    // --- liquidity -------------------------------------------------------------------------------------------

    function test_depositLiquidity_creditsVault() public {
        vm.prank(alice);
        mm.depositLiquidity(5e6);
        assertEq(mm.vaultBalance(), VAULT + 5e6, "vault");
        assertBooks();
    }

    function test_depositLiquidity_RevertWhen_Zero() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidAmount.selector, 0));
        vm.prank(alice);
        mm.depositLiquidity(0);
    }

    function test_withdrawLiquidity_paysAdmin() public {
        vm.prank(admin);
        mm.withdrawLiquidity(7e6);
        assertEq(usdc.balanceOf(admin), 7e6, "paid");
        assertEq(mm.vaultBalance(), VAULT - 7e6, "vault");
        assertBooks();
    }

    function test_withdrawLiquidity_RevertWhen_NotAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.NotAdmin.selector, lp));
        vm.prank(lp);
        mm.withdrawLiquidity(1);
    }

    function test_withdrawLiquidity_RevertWhen_AboveVault() public {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InsufficientLiquidity.selector, VAULT + 1, VAULT));
        vm.prank(admin);
        mm.withdrawLiquidity(VAULT + 1);
    }

    function test_fundInsurance_creditsInsurance() public {
        vm.expectEmit(address(mm));
        emit IMarginManager.InsuranceFunded(bob, 9e6);
        vm.prank(bob);
        mm.fundInsurance(9e6);
        assertEq(mm.insuranceBalance(), INSURANCE + 9e6, "insurance");
        assertBooks();
    }

    function test_fundInsurance_RevertWhen_AboveUint128() public {
        uint256 amount = uint256(type(uint128).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidAmount.selector, amount));
        mm.fundInsurance(amount);
    }

    // --- views: digests recomputed from the type strings -----------------------------------------------------

    function test_decisionDigest_matchesIndependentEip712() public view {
        IMarginManager.RiskDecision memory d = openDecision(pid(1), alice, true, 1000e6, 10_000e6);
        d.closeFactorBps = 7;
        d.positionVersion = 9;
        assertEq(mm.decisionDigest(d), _digest(_structHash(d)), "digest");
    }

    function test_batchDigest_matchesIndependentEip712() public view {
        IMarginManager.RiskDecision[] memory ds =
            two(liquidateDecision(pid(1), 1, 1840e18, 5000), adjustDecision(pid(2), 4, 1000, 300, 2000));
        bytes32 listType = keccak256(
            abi.encodePacked(
                "DecisionList(uint64 batchNonce,uint64 validUntil,RiskDecision[] decisions)", RISK_DECISION_TYPE
            )
        );
        bytes32 items = keccak256(abi.encodePacked(_structHash(ds[0]), _structHash(ds[1])));
        bytes32 expected = _digest(keccak256(abi.encode(listType, uint64(42), uint64(77), items)));
        assertEq(mm.batchDigest(42, 77, ds), expected, "batch digest");
    }

    function test_domainSeparator_bindsChainAndContract() public {
        bytes32 before = mm.DOMAIN_SEPARATOR();
        assertEq(before, _domain(block.chainid, address(mm)), "domain");
        vm.chainId(6343);
        assertEq(mm.DOMAIN_SEPARATOR(), _domain(6343, address(mm)), "recomputed on another chain");
        assertTrue(mm.DOMAIN_SEPARATOR() != before, "chain id is bound");
    }

    function test_isLiquidatable_falseForUnknownPosition() public view {
        assertEq(mm.isLiquidatable(pid(77), 1), false, "unknown");
    }

    function test_getPosition_zeroForUnknownPosition() public view {
        IMarginManager.Position memory p = mm.getPosition(pid(77));
        assertEq(p.status, 0, "status NONE");
        assertEq(p.trader, address(0), "no trader");
        assertEq(p.marketId, bytes32(0), "no market");
    }

    function _structHash(IMarginManager.RiskDecision memory d) internal pure returns (bytes32) {
        bytes memory a = abi.encode(
            keccak256(bytes(RISK_DECISION_TYPE)),
            d.kind,
            d.positionId,
            d.marketId,
            d.trader,
            d.isLong,
            d.collateral,
            d.size,
            d.maxLeverageX100,
            d.maintenanceMarginBps
        );
        bytes memory b = abi.encode(
            d.closeFactorBps,
            d.riskScoreBps,
            d.markPriceE18,
            d.priceTimestamp,
            d.positionVersion,
            d.validUntil,
            d.modelHash,
            d.featuresHash
        );
        return keccak256(bytes.concat(a, b));
    }

    function _domain(uint256 chainId, address verifying) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("MarginManager"),
                keccak256("1"),
                chainId,
                verifying
            )
        );
    }

    function _digest(bytes32 structHash) internal view returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", _domain(block.chainid, address(mm)), structHash));
    }

    function _expectBadMarket(IMarginManager.MarketConfig memory cfg, string memory field) internal {
        vm.expectRevert(abi.encodeWithSelector(IMarginManager.InvalidMarketConfig.selector, ETH, field));
        vm.prank(admin);
        mm.setMarket(ETH, cfg);
    }
}
