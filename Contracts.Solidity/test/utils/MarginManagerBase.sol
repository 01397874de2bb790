// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MarginManager} from "../../src/MarginManager.sol";
import {IMarginManager} from "../../src/interfaces/IMarginManager.sol";
import {MockPriceFeed} from "../../src/mocks/MockPriceFeed.sol";
import {MockUSDC} from "../../src/mocks/MockUSDC.sol";
import {TestBase, Vm} from "./Vm.sol";

/// @notice Signing helpers shared by tests and invariant handlers: fixed oracle keys, EIP-2098 quorums.
abstract contract OracleKeys is TestBase {
    uint256 internal constant SIGNER_COUNT = 5;
    uint8 internal constant THRESHOLD = 3;
    uint256 internal constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    uint256 internal constant SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;

    /// @dev Fixed test keys (not the anvil ones, so tests never depend on a chain's accounts).
    function signerKey(uint256 i) internal pure returns (uint256) {
        return 0x51A7E0 + i;
    }

    function signerAddresses() internal pure returns (address[] memory list) {
        list = new address[](SIGNER_COUNT);
        for (uint256 i; i < SIGNER_COUNT; ++i) {
            list[i] = vm.addr(signerKey(i));
        }
    }

    /// @dev r ‖ vs with v folded into the top bit of s (EIP-2098); vm.sign always returns low s.
    function compactSig(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, bytes32(uint256(s) | (uint256(v - 27) << 255)));
    }

    /// @dev A quorum from the signers at `indices` (ascending), signing with `keyOf[i]`.
    function quorumFrom(bytes32 digest, uint256[] memory indices)
        internal
        pure
        returns (IMarginManager.Quorum memory q)
    {
        bytes memory sigs;
        for (uint256 k; k < indices.length; ++k) {
            q.signerBitmap |= 1 << indices[k];
            sigs = bytes.concat(sigs, compactSig(signerKey(indices[k]), digest));
        }
        q.signatures = sigs;
    }

    /// @dev The default quorum: signers 0, 1, 2.
    function quorum(bytes32 digest) internal pure returns (IMarginManager.Quorum memory) {
        return quorumFrom(digest, idx(0, 1, 2));
    }

    function idx(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory list) {
        list = new uint256[](3);
        (list[0], list[1], list[2]) = (a, b, c);
    }
}

/// @notice A deployed MarginManager with two listed markets, a registered model, funded vault and insurance, and
///         two funded traders; plus builders for every decision kind.
abstract contract MarginManagerBase is OracleKeys {
    MarginManager internal mm;
    MockUSDC internal usdc;

    address internal admin = address(0xAD);
    address internal guardian = address(0x6A4D);
    uint256 internal constant ALICE_KEY = 0xA11CE;
    uint256 internal constant BOB_KEY = 0xB0B;
    address internal alice = vm.addr(ALICE_KEY);
    address internal bob = vm.addr(BOB_KEY);
    address internal lp = address(0x1100);

    bytes32 internal constant ETH = keccak256("ETH-USD");
    bytes32 internal constant BTC = keccak256("BTC-USD");
    bytes32 internal constant MODEL = keccak256("model-v1");
    bytes32 internal constant FEATURES = keccak256("features");
    uint128 internal constant PRICE = 2000e18;
    uint256 internal constant T0 = 1_700_000_000;
    uint256 internal constant VAULT = 1_000_000e6;
    uint256 internal constant INSURANCE = 100_000e6;

    function setUp() public virtual {
        vm.warp(T0);
        usdc = newToken();
        mm = new MarginManager(address(usdc), admin, guardian, signerAddresses(), THRESHOLD);
        vm.startPrank(admin);
        mm.setMarket(ETH, marketConfig());
        mm.setMarket(BTC, marketConfig());
        mm.setModel(MODEL, true);
        vm.stopPrank();
        fund(alice, 10_000_000e6);
        fund(bob, 10_000_000e6);
        fund(lp, VAULT + INSURANCE);
        vm.startPrank(lp);
        mm.depositLiquidity(VAULT);
        mm.fundInsurance(INSURANCE);
        vm.stopPrank();
    }

    /// @dev The collateral token; tests of token misbehaviour override it.
    function newToken() internal virtual returns (MockUSDC) {
        return new MockUSDC();
    }

    function fund(address who, uint256 amount) internal {
        usdc.mint(who, amount);
        vm.prank(who);
        usdc.approve(address(mm), type(uint256).max);
    }

    /// @dev 50x cap, maintenance 0.5%..25%, 5% step, 1% penalty, 60 s price age, 1 h grace.
    function marketConfig() internal pure returns (IMarginManager.MarketConfig memory) {
        return IMarginManager.MarketConfig({
            listed: true,
            maxLeverageX100: 5000,
            minMaintenanceMarginBps: 50,
            maxMaintenanceMarginBps: 2500,
            maxMarginStepBps: 500,
            liquidationPenaltyBps: 100,
            maxPriceAge: 60,
            tighteningGrace: 3600
        });
    }

    function pid(uint256 n) internal pure returns (bytes32) {
        return keccak256(abi.encode("position", n));
    }

    /// @dev An OPEN at PRICE: cap 20x, maintenance 2.5%, risk 12%.
    function openDecision(bytes32 id, address trader, bool isLong, uint128 collateral, uint128 size)
        internal
        view
        returns (IMarginManager.RiskDecision memory d)
    {
        d.kind = uint8(IMarginManager.Kind.Open);
        d.positionId = id;
        d.marketId = ETH;
        d.trader = trader;
        d.isLong = isLong;
        d.collateral = collateral;
        d.size = size;
        d.maxLeverageX100 = 2000;
        d.maintenanceMarginBps = 250;
        d.riskScoreBps = 1200;
        d.markPriceE18 = PRICE;
        d.priceTimestamp = uint64(block.timestamp);
        d.validUntil = uint64(block.timestamp + 300);
        d.modelHash = MODEL;
        d.featuresHash = FEATURES;
    }

    function adjustDecision(bytes32 id, uint64 version, uint32 maxLev, uint32 marginBps, uint16 risk)
        internal
        view
        returns (IMarginManager.RiskDecision memory d)
    {
        d = openDecision(id, alice, true, 0, 0);
        d.kind = uint8(IMarginManager.Kind.Adjust);
        d.positionVersion = version;
        d.maxLeverageX100 = maxLev;
        d.maintenanceMarginBps = marginBps;
        d.riskScoreBps = risk;
    }

    function liquidateDecision(bytes32 id, uint64 version, uint128 price, uint32 closeFactorBps)
        internal
        view
        returns (IMarginManager.RiskDecision memory d)
    {
        d = openDecision(id, alice, true, 0, 0);
        d.kind = uint8(IMarginManager.Kind.Liquidate);
        d.positionVersion = version;
        d.markPriceE18 = price;
        d.closeFactorBps = closeFactorBps;
    }

    function closeDecision(bytes32 id, address trader, uint64 version, uint128 price)
        internal
        view
        returns (IMarginManager.RiskDecision memory d)
    {
        d = openDecision(id, trader, true, 0, 0);
        d.kind = uint8(IMarginManager.Kind.Close);
        d.positionVersion = version;
        d.markPriceE18 = price;
    }

    function signed(IMarginManager.RiskDecision memory d) internal view returns (IMarginManager.Quorum memory) {
        return quorum(mm.decisionDigest(d));
    }

    /// @dev Opens a 10x long (or short) of `collateral` for `trader` at PRICE.
    function openAs(address trader, bytes32 id, bool isLong, uint128 collateral) internal returns (bytes32) {
        IMarginManager.RiskDecision memory d = openDecision(id, trader, isLong, collateral, collateral * 10);
        IMarginManager.Quorum memory q = signed(d);
        vm.prank(trader);
        return mm.openPosition(d, q);
    }

    function apply_(IMarginManager.RiskDecision memory d) internal {
        mm.applyDecision(d, signed(d));
    }

    function batch(uint64 nonce, IMarginManager.RiskDecision[] memory ds)
        internal
        view
        returns (uint64 validUntil, IMarginManager.Quorum memory q)
    {
        validUntil = uint64(block.timestamp + 300);
        q = quorum(mm.batchDigest(nonce, validUntil, ds));
    }

    function one(IMarginManager.RiskDecision memory d) internal pure returns (IMarginManager.RiskDecision[] memory ds) {
        ds = new IMarginManager.RiskDecision[](1);
        ds[0] = d;
    }

    function two(IMarginManager.RiskDecision memory a, IMarginManager.RiskDecision memory b)
        internal
        pure
        returns (IMarginManager.RiskDecision[] memory ds)
    {
        ds = new IMarginManager.RiskDecision[](2);
        (ds[0], ds[1]) = (a, b);
    }

    /// @dev The books must always match the token balance (charged borrow fees are in the vault; fees accrued and
    ///      not yet charged are still in the collateral).
    function assertBooks() internal view {
        assertEq(
            usdc.balanceOf(address(mm)),
            uint256(mm.totalCollateral()) + mm.vaultBalance() + mm.insuranceBalance() + mm.totalClaimable(),
            "balance == collateral + vault + insurance + claimable"
        );
    }

    address internal feedUpdater = address(0xFEED);

    /// @dev A Chainlink-style 8-decimal feed at `price` (1e18) updated by its own key.
    function newFeed(uint128 price) internal returns (MockPriceFeed feed) {
        feed = new MockPriceFeed(8, feedUpdater, int256(uint256(price / 1e10)));
    }

    function setFeedPrice(MockPriceFeed feed, uint128 price) internal {
        vm.prank(feedUpdater);
        feed.updateAnswer(int256(uint256(price / 1e10)));
    }

    /// @dev Limits with every field off.
    function noLimits() internal pure returns (IMarginManager.MarketLimits memory l) {
        return l;
    }

    function setLimits(bytes32 market, IMarginManager.MarketLimits memory l) internal {
        vm.prank(admin);
        mm.setMarketLimits(market, l);
    }

    /// @dev The ETH market's feed guard: 2% deviation, 120 s feed age.
    function guardWithFeed(MockPriceFeed feed) internal pure returns (IMarginManager.MarketLimits memory l) {
        l.priceFeed = address(feed);
        l.maxFeedDeviationBps = 200;
        l.maxFeedAge = 120;
    }

    /// @dev The reasons of the DecisionSkipped events recorded since vm.recordLogs, in order.
    function _assertSkipReasons(uint8[] memory want) internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 topic = IMarginManager.DecisionSkipped.selector;
        uint256 k;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != topic) continue;
            (uint8 reason,) = abi.decode(logs[i].data, (uint8, bytes32));
            assertEq(reason, want[k], "skip reason");
            ++k;
        }
        assertEq(k, want.length, "skip events");
    }
}
