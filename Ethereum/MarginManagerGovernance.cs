using System.Numerics;
using Aml.Orleans.Ethereum.Abi;
using Aml.Orleans.Ethereum.Rpc;

namespace Aml.Orleans.Ethereum;

/// <summary>The contract's <c>MarketConfig</c>.</summary>
public sealed record MarketConfig(
    bool Listed,
    uint MaxLeverageX100,
    uint MinMaintenanceMarginBps,
    uint MaxMaintenanceMarginBps,
    uint MaxMarginStepBps,
    uint LiquidationPenaltyBps,
    ulong MaxPriceAge,
    ulong TighteningGrace)
{
    /// <summary>The struct as an ABI tuple value (field order of the struct).</summary>
    public object[] ToAbiValue() =>
        [Listed, MaxLeverageX100, MinMaintenanceMarginBps, MaxMaintenanceMarginBps, MaxMarginStepBps, LiquidationPenaltyBps, MaxPriceAge, TighteningGrace];
}

/// <summary>A governance operation the contract holds queued: its id, when it may run, and the calldata it will run.</summary>
public sealed record GovernanceOp(Bytes32 OpId, ulong Eta, byte[] Data, ulong QueuedInBlock)
{
    /// <summary>The governed function the calldata calls, by its selector (null when the binding does not know it).</summary>
    public string? Function => MarginManagerGovernance.FunctionOf(Data)?.Name;
}

/// <summary>
/// Version 2's delayed governance, typed: the calldata of each governed change (the same bytes the contract queues and
/// later re-runs), the op id rule, and reading what is queued.
/// </summary>
public static class MarginManagerGovernance
{
    /// <summary>The calls a delay may hold back (CONTRACT.md "Governance with a delay").</summary>
    public static IReadOnlyList<AbiFunction> GovernedFunctions { get; } =
        new[] { "setSigners", "setModel", "withdrawLiquidity", "setMarket", "setMarketLimits", "setGovernanceDelay" }
            .Select(MarginManagerAbi.Function).ToArray();

    /// <summary>Calldata of <c>setSigners(signers, threshold)</c>.</summary>
    public static byte[] EncodeSetSigners(IReadOnlyList<Address> signers, byte threshold) =>
        MarginManagerAbi.Function("setSigners").EncodeCall(signers.Cast<object>().ToArray(), threshold);

    /// <summary>Calldata of <c>setModel(modelHash, allowed)</c>.</summary>
    public static byte[] EncodeSetModel(Bytes32 modelHash, bool allowed) => MarginManagerAbi.Function("setModel").EncodeCall(modelHash, allowed);

    /// <summary>Calldata of <c>withdrawLiquidity(amount)</c>.</summary>
    public static byte[] EncodeWithdrawLiquidity(BigInteger amount) => MarginManagerAbi.Function("withdrawLiquidity").EncodeCall(amount);

    /// <summary>Calldata of <c>setMarket(marketId, cfg)</c>.</summary>
    public static byte[] EncodeSetMarket(Bytes32 marketId, MarketConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return MarginManagerAbi.Function("setMarket").EncodeCall(marketId, config.ToAbiValue());
    }

    /// <summary>Calldata of <c>setGovernanceDelay(delay)</c>.</summary>
    public static byte[] EncodeSetGovernanceDelay(ulong delaySeconds) => MarginManagerAbi.Function("setGovernanceDelay").EncodeCall(delaySeconds);

    /// <summary>Calldata of <c>executeGovernance(opId)</c>.</summary>
    public static byte[] EncodeExecute(Bytes32 opId) => MarginManagerAbi.Function("executeGovernance").EncodeCall(opId);

    /// <summary>Calldata of <c>cancelGovernance(opId)</c>.</summary>
    public static byte[] EncodeCancel(Bytes32 opId) => MarginManagerAbi.Function("cancelGovernance").EncodeCall(opId);

    /// <summary>The contract's op id: <c>keccak256(abi.encode(uint64 nonce, bytes data))</c>.</summary>
    public static Bytes32 OpId(ulong nonce, byte[] data) =>
        new(Keccak.Hash(AbiCodec.Encode([AbiType.Parse("uint64"), AbiType.Parse("bytes")], [nonce, data])));

    /// <summary>The governed function <paramref name="calldata"/> calls, or null.</summary>
    public static AbiFunction? FunctionOf(ReadOnlySpan<byte> calldata)
    {
        if (calldata.Length < 4)
        {
            return null;
        }

        foreach (var function in GovernedFunctions)
        {
            if (calldata[..4].SequenceEqual(function.Selector))
            {
                return function;
            }
        }

        return null;
    }

    /// <summary>The <c>GovernanceQueued</c> log of a receipt, when the call was queued rather than applied.</summary>
    public static GovernanceOp? QueuedIn(TransactionReceipt receipt, Address contract)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return receipt.Logs.Where(l => l.Address == contract).Select(Decode).OfType<GovernanceOp>().FirstOrDefault();
    }

    /// <summary>Decodes a <c>GovernanceQueued</c> log; null for any other log.</summary>
    public static GovernanceOp? Decode(LogEntry log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var queued = MarginManagerAbi.Definition.Event("GovernanceQueued");
        if (log.Removed || log.Topics.Count == 0 || log.Topics[0] != queued.Topic0)
        {
            return null;
        }

        var decoded = queued.Decode(log.Topics, log.Data);
        return new GovernanceOp(new Bytes32((byte[])decoded["opId"]), (ulong)(BigInteger)decoded["eta"], (byte[])decoded["data"], log.BlockNumber ?? 0);
    }
}
