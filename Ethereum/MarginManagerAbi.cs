using System.Numerics;
using Aml.Orleans.Ethereum.Abi;

namespace Aml.Orleans.Ethereum;

/// <summary>
/// The MarginManager binding, written from CONTRACT.md: every function and event as a signature, plus typed
/// encoders for the calls the engine makes. <see cref="DifferencesFrom"/> compares it with forge's JSON ABI.
/// </summary>
public static class MarginManagerAbi
{
    /// <summary>The ABI tuple of <c>MarketConfig</c>.</summary>
    public const string MarketConfigTuple = "(bool,uint32,uint32,uint32,uint32,uint32,uint64,uint64)";

    /// <summary>The ABI tuple of <c>MarketLimits</c> (version 2).</summary>
    public const string MarketLimitsTuple = "(address,uint32,uint64,uint64,uint128,uint128,uint32,uint64)";

    /// <summary>The ABI tuple of <c>Position</c>.</summary>
    public const string PositionTuple = "(address,bytes32,bool,uint128,uint128,uint128,uint32,uint32,uint16,uint64,uint8,bool)";

    private const string D = RiskDecision.AbiTuple;
    private const string Q = Quorum.AbiTuple;

    /// <summary>Human-readable function declarations (names and argument order are the contract's).</summary>
    public static IReadOnlyList<string> FunctionDeclarations { get; } =
    [
        $"openPosition({D} d, {Q} q) returns (bytes32 positionId)",
        $"openPositionFor({D} d, {Q} q, bytes traderSig) returns (bytes32 positionId)",
        "addCollateral(bytes32 positionId, uint128 amount)",
        $"closePosition({D} d, {Q} q)",
        $"applyDecision({D} d, {Q} q)",
        $"applyDecisions(uint64 batchNonce, uint64 validUntil, {D}[] ds, {Q} q) returns (uint256 appliedCount)",
        "depositLiquidity(uint256 amount)",
        "withdrawLiquidity(uint256 amount)",
        "fundInsurance(uint256 amount)",
        $"setMarket(bytes32 marketId, {MarketConfigTuple} cfg)",
        "setSigners(address[] signers, uint8 threshold)",
        "setModel(bytes32 modelHash, bool allowed)",
        "halt()",
        "resume()",
        "setMarketMode(bytes32 marketId, uint8 mode)",
        "freezePosition(bytes32 positionId, bool frozen)",
        $"getPosition(bytes32 positionId) returns ({PositionTuple} position)",
        $"decisionDigest({D} d) returns (bytes32 digest)",
        $"batchDigest(uint64 batchNonce, uint64 validUntil, {D}[] ds) returns (bytes32 digest)",
        "isLiquidatable(bytes32 positionId, uint128 markPriceE18) returns (bool liquidatable)",
        "signers() returns (address[] signerSet)",
        "threshold() returns (uint8 quorumThreshold)",

        // version 2: limits and fees, escrowed payouts, the exit without the oracle, delayed governance
        $"setMarketLimits(bytes32 marketId, {MarketLimitsTuple} limits)",
        $"getMarketLimits(bytes32 marketId) returns ({MarketLimitsTuple} limits)",
        "openInterest(bytes32 marketId) returns (uint128 longOpenInterest, uint128 shortOpenInterest)",
        "accruedBorrowFee(bytes32 positionId) returns (uint128 fee)",
        "borrowIndex(bytes32 positionId) returns (uint64 marketIndex, uint64 positionIndex)",
        "emergencyClose(bytes32 positionId)",
        "emergencyCloseAvailableAt(bytes32 marketId) returns (uint64 availableAt)",
        "claim(address to) returns (uint128 amount)",
        "claimable(address account) returns (uint128 amount)",
        "totalClaimable() returns (uint128 amount)",
        "setGovernanceDelay(uint64 delay)",
        "executeGovernance(bytes32 opId)",
        "cancelGovernance(bytes32 opId)",
        "governanceDelay() returns (uint64 delay)",
        "governanceNonce() returns (uint64 nonce)",
        "governanceOp(bytes32 opId) returns (uint64 eta, bytes data)",
    ];

    /// <summary>Event declarations whose parameters CONTRACT.md fixes.</summary>
    public static IReadOnlyList<string> EventDeclarations { get; } =
    [
        "PositionLiquidated(bytes32 indexed positionId, bytes32 decisionHash, uint128 sizeClosed, int256 pnl, uint128 penalty, uint128 badDebt)",
        "DecisionSkipped(bytes32 indexed positionId, uint8 reason, bytes32 decisionHash)",

        // version 2
        "BorrowFeeCharged(bytes32 indexed positionId, uint128 fee)",
        "PayoutEscrowed(bytes32 indexed positionId, address trader, uint128 amount)",
        "PayoutClaimed(address indexed account, address to, uint128 amount)",
        "EmergencyClosed(bytes32 indexed positionId, uint128 priceE18, int256 pnl, uint128 fee, uint128 payout, uint128 badDebt)",
        $"MarketLimitsSet(bytes32 indexed marketId, {MarketLimitsTuple} limits)",
        "GovernanceQueued(bytes32 indexed opId, uint64 eta, bytes data)",
        "GovernanceExecuted(bytes32 indexed opId)",
        "GovernanceCancelled(bytes32 indexed opId, address by)",
        "GovernanceDelaySet(uint64 delay)",
    ];

    /// <summary>
    /// Events CONTRACT.md names without parameters. Their decoders come from the contract's JSON ABI
    /// (<see cref="AbiContract.FromJson"/>); <see cref="DifferencesFrom"/> reports any that the ABI lacks.
    /// </summary>
    public static IReadOnlyList<string> EventNamesWithoutFixedParameters { get; } =
    [
        "PositionOpened", "CollateralAdded", "RiskUpdated", "PositionClosed", "SignersUpdated", "ModelUpdated",
        "Halted", "Resumed", "MarketModeSet", "PositionFrozen",
    ];

    /// <summary>The constructor's argument types.</summary>
    public static IReadOnlyList<AbiParameter> ConstructorInputs { get; } =
        AbiParameter.ParseList("address collateralToken, address admin, address guardian, address[] signers, uint8 threshold");

    /// <summary>The binding as an ABI (functions and the events with fixed parameters).</summary>
    public static AbiContract Definition { get; } = new(
        FunctionDeclarations.Select(AbiFunction.Parse).ToArray(),
        EventDeclarations.Select(AbiEvent.Parse).ToArray(),
        []);

    /// <summary>Canonical function signatures, e.g. <c>applyDecisions(uint64,uint64,(uint8,…)[],(uint256,bytes))</c>.</summary>
    public static IReadOnlyList<string> FunctionSignatures { get; } = Definition.Functions.Select(f => f.Signature).ToArray();

    /// <summary>Canonical event signatures of <see cref="EventDeclarations"/>.</summary>
    public static IReadOnlyList<string> EventSignatures { get; } = Definition.Events.Select(e => e.Signature).ToArray();

    /// <summary>A function of the binding by name.</summary>
    public static AbiFunction Function(string name) => Definition.Function(name);

    /// <summary>
    /// What differs between this binding and the contract's compiled ABI: functions or events missing from the ABI
    /// or declared with other types, output types that differ, and indexed flags that differ. Empty means in sync.
    /// </summary>
    public static IReadOnlyList<string> DifferencesFrom(AbiContract compiled)
    {
        var differences = AbiBinding.DifferencesFrom(Definition, compiled).ToList();
        differences.AddRange(EventNamesWithoutFixedParameters
            .Where(name => compiled.Events.All(e => e.Name != name))
            .Select(name => $"event {name} not in the ABI"));
        return differences;
    }

    /// <summary>Deployment data: creation bytecode followed by the encoded constructor arguments.</summary>
    public static byte[] EncodeDeployment(
        ReadOnlySpan<byte> creationCode, Address collateralToken, Address admin, Address guardian, IReadOnlyList<Address> signers, byte threshold)
    {
        var arguments = AbiCodec.Encode(
            ConstructorInputs.Select(p => p.Type).ToArray(),
            [collateralToken, admin, guardian, signers.Cast<object>().ToArray(), threshold]);
        return [.. creationCode, .. arguments];
    }

    /// <summary>Calldata of <c>applyDecision(d, q)</c>.</summary>
    public static byte[] EncodeApplyDecision(RiskDecision decision, Quorum quorum) =>
        Function("applyDecision").EncodeCall(decision.ToAbiValue(), quorum.ToAbiValue());

    /// <summary>Calldata of <c>applyDecisions(batchNonce, validUntil, ds, q)</c>.</summary>
    public static byte[] EncodeApplyDecisions(DecisionList list, Quorum quorum)
    {
        ArgumentNullException.ThrowIfNull(list);
        return Function("applyDecisions").EncodeCall(
            list.BatchNonce, list.ValidUntil, list.Decisions.Select(d => (object)d.ToAbiValue()).ToArray(), quorum.ToAbiValue());
    }

    /// <summary>Calldata of <c>openPosition(d, q)</c>.</summary>
    public static byte[] EncodeOpenPosition(RiskDecision decision, Quorum quorum) =>
        Function("openPosition").EncodeCall(decision.ToAbiValue(), quorum.ToAbiValue());

    /// <summary>Calldata of <c>closePosition(d, q)</c>.</summary>
    public static byte[] EncodeClosePosition(RiskDecision decision, Quorum quorum) =>
        Function("closePosition").EncodeCall(decision.ToAbiValue(), quorum.ToAbiValue());

    /// <summary>Calldata of <c>decisionDigest(d)</c>.</summary>
    public static byte[] EncodeDecisionDigest(RiskDecision decision) => Function("decisionDigest").EncodeCall([decision.ToAbiValue()]);

    /// <summary>Decodes the <c>applyDecisions</c> calldata back into the list and quorum (audit and tests).</summary>
    public static (DecisionList List, Quorum Quorum) DecodeApplyDecisions(ReadOnlySpan<byte> calldata)
    {
        var values = Function("applyDecisions").DecodeCall(calldata);
        var decisions = ((object[])values[2]).Select(RiskDecision.FromAbiValue).ToArray();
        return (new DecisionList((ulong)(BigInteger)values[0], (ulong)(BigInteger)values[1], decisions), Quorum.FromAbiValue(values[3]));
    }

    /// <summary>Decodes the return data of <c>getPosition</c>.</summary>
    public static PositionView DecodePosition(ReadOnlySpan<byte> returnData)
    {
        var f = (object[])Function("getPosition").DecodeOutput(returnData)[0];
        return new PositionView(
            (Address)f[0], new Bytes32((byte[])f[1]), (bool)f[2], (UInt128)(BigInteger)f[3], (UInt128)(BigInteger)f[4],
            (UInt128)(BigInteger)f[5], (uint)(BigInteger)f[6], (uint)(BigInteger)f[7], (ushort)(BigInteger)f[8],
            (ulong)(BigInteger)f[9], (PositionStatus)(byte)(BigInteger)f[10], (bool)f[11]);
    }

    /// <summary>Calldata of <c>setMarketLimits(marketId, l)</c>.</summary>
    public static byte[] EncodeSetMarketLimits(Bytes32 marketId, MarketLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return Function("setMarketLimits").EncodeCall(marketId, limits.ToAbiValue());
    }

    /// <summary>Decodes the return data of <c>getMarketLimits</c>.</summary>
    public static MarketLimits DecodeMarketLimits(ReadOnlySpan<byte> returnData) =>
        MarketLimits.FromAbiValue(Function("getMarketLimits").DecodeOutput(returnData)[0]);

    /// <summary>Decodes the return data of <c>signers()</c>.</summary>
    public static IReadOnlyList<Address> DecodeSigners(ReadOnlySpan<byte> returnData) =>
        ((object[])Function("signers").DecodeOutput(returnData)[0]).Cast<Address>().ToArray();
}

/// <summary>A position's lifecycle state on chain.</summary>
public enum PositionStatus : byte
{
    /// <summary>No such position.</summary>
    None = 0,

    /// <summary>Open.</summary>
    Open = 1,

    /// <summary>Closed by the trader.</summary>
    Closed = 2,

    /// <summary>Liquidated.</summary>
    Liquidated = 3,
}

/// <summary>The contract's <c>Position</c> struct as <c>getPosition</c> returns it.</summary>
public sealed record PositionView(
    Address Trader,
    Bytes32 MarketId,
    bool IsLong,
    UInt128 Collateral,
    UInt128 Size,
    UInt128 EntryPriceE18,
    uint MaxLeverageX100,
    uint MaintenanceMarginBps,
    ushort RiskScoreBps,
    ulong Version,
    PositionStatus Status,
    bool Frozen);

/// <summary>
/// The contract's <c>MarketLimits</c> (version 2): the independent price feed and its allowed deviation and age, the
/// decision TTL cap, open-interest caps per side, the borrow rate and the oracle-liveness timeout. Zero is off.
/// </summary>
public sealed record MarketLimits(
    Address PriceFeed,
    uint MaxFeedDeviationBps,
    ulong MaxFeedAge,
    ulong MaxDecisionTtl,
    UInt128 MaxOpenInterestLong,
    UInt128 MaxOpenInterestShort,
    uint BorrowRateBpsPerDay,
    ulong OracleLivenessTimeout)
{
    /// <summary>The struct as an ABI tuple value (field order of the struct).</summary>
    public object[] ToAbiValue() =>
    [
        PriceFeed, MaxFeedDeviationBps, MaxFeedAge, MaxDecisionTtl, MaxOpenInterestLong, MaxOpenInterestShort, BorrowRateBpsPerDay,
        OracleLivenessTimeout,
    ];

    /// <summary>Rebuilds the struct from a decoded ABI tuple.</summary>
    public static MarketLimits FromAbiValue(object value)
    {
        var f = value as object[] ?? throw new ArgumentException("a MarketLimits ABI value is an object[] tuple", nameof(value));
        return new MarketLimits(
            (Address)f[0], (uint)(BigInteger)f[1], (ulong)(BigInteger)f[2], (ulong)(BigInteger)f[3], (UInt128)(BigInteger)f[4],
            (UInt128)(BigInteger)f[5], (uint)(BigInteger)f[6], (ulong)(BigInteger)f[7]);
    }
}
