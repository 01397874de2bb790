using System.Numerics;
using Aml.Orleans.Ethereum.Abi;
using Aml.Orleans.Ethereum.Rpc;

namespace Aml.Orleans.Ethereum;

/// <summary>
/// Typed calls to a deployed MarginManager: the views the oracle reads (signer set, threshold, digests, positions)
/// and the decision transactions it relays. Logs decode with <paramref name="abi"/>, by default the binding;
/// pass <c>AbiContract.FromJson</c> of forge's ABI to decode every event and custom error.
/// </summary>
public sealed class MarginManagerClient(JsonRpcClient rpc, Address contract, AbiContract? abi = null)
{
    private readonly AbiContract _abi = abi ?? MarginManagerAbi.Definition;

    /// <summary>The contract's address.</summary>
    public Address Contract { get; } = contract;

    /// <summary>The EIP-712 domain: chain id from the node, this contract as verifier.</summary>
    public async Task<Eip712Domain> GetDomainAsync(CancellationToken cancellationToken = default) =>
        Eip712Domain.MarginManager(await rpc.GetChainIdAsync(cancellationToken).ConfigureAwait(false), Contract);

    /// <summary><c>signers()</c>, in contract order (bit i of a quorum bitmap is element i).</summary>
    public async Task<IReadOnlyList<Address>> GetSignersAsync(CancellationToken cancellationToken = default) =>
        MarginManagerAbi.DecodeSigners(await CallAsync(MarginManagerAbi.Function("signers").EncodeCall(), cancellationToken).ConfigureAwait(false));

    /// <summary><c>threshold()</c>.</summary>
    public async Task<byte> GetThresholdAsync(CancellationToken cancellationToken = default) =>
        (byte)(BigInteger)MarginManagerAbi.Function("threshold")
            .DecodeOutput(await CallAsync(MarginManagerAbi.Function("threshold").EncodeCall(), cancellationToken).ConfigureAwait(false))[0];

    /// <summary><c>decisionDigest(d)</c>, to check the off-chain digest against the contract's.</summary>
    public async Task<Bytes32> GetDecisionDigestAsync(RiskDecision decision, CancellationToken cancellationToken = default) =>
        new((byte[])MarginManagerAbi.Function("decisionDigest")
            .DecodeOutput(await CallAsync(MarginManagerAbi.EncodeDecisionDigest(decision), cancellationToken).ConfigureAwait(false))[0]);

    /// <summary><c>batchDigest(batchNonce, validUntil, ds)</c>.</summary>
    public async Task<Bytes32> GetBatchDigestAsync(DecisionList list, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(list);
        var function = MarginManagerAbi.Function("batchDigest");
        var calldata = function.EncodeCall(list.BatchNonce, list.ValidUntil, list.Decisions.Select(d => (object)d.ToAbiValue()).ToArray());
        return new((byte[])function.DecodeOutput(await CallAsync(calldata, cancellationToken).ConfigureAwait(false))[0]);
    }

    /// <summary><c>getPosition(positionId)</c>.</summary>
    public Task<PositionView> GetPositionAsync(Bytes32 positionId, CancellationToken cancellationToken = default) =>
        GetPositionAsync(positionId, "latest", cancellationToken);

    /// <summary><c>getPosition(positionId)</c> at <paramref name="block"/>.</summary>
    public async Task<PositionView> GetPositionAsync(Bytes32 positionId, string block, CancellationToken cancellationToken = default) =>
        MarginManagerAbi.DecodePosition(await rpc.CallAsync(
            new CallRequest(Contract, MarginManagerAbi.Function("getPosition").EncodeCall(positionId)), block, cancellationToken).ConfigureAwait(false));

    /// <summary><c>isLiquidatable(positionId, markPriceE18)</c>.</summary>
    public Task<bool> IsLiquidatableAsync(Bytes32 positionId, UInt128 markPriceE18, CancellationToken cancellationToken = default) =>
        IsLiquidatableAsync(positionId, markPriceE18, "latest", cancellationToken);

    /// <summary><c>isLiquidatable(positionId, markPriceE18)</c> at <paramref name="block"/> (the fee accrued by then counts).</summary>
    public async Task<bool> IsLiquidatableAsync(Bytes32 positionId, UInt128 markPriceE18, string block, CancellationToken cancellationToken = default)
    {
        var function = MarginManagerAbi.Function("isLiquidatable");
        return (bool)function.DecodeOutput(await rpc.CallAsync(
            new CallRequest(Contract, function.EncodeCall(positionId, markPriceE18)), block, cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary><c>getMarketLimits(marketId)</c> (version 2).</summary>
    public async Task<MarketLimits> GetMarketLimitsAsync(Bytes32 marketId, CancellationToken cancellationToken = default) =>
        MarginManagerAbi.DecodeMarketLimits(
            await CallAsync(MarginManagerAbi.Function("getMarketLimits").EncodeCall(marketId), cancellationToken).ConfigureAwait(false));

    /// <summary><c>borrowIndex(positionId)</c> at <paramref name="block"/>: the market's index then and the position's.</summary>
    public async Task<(ulong MarketIndex, ulong PositionIndex)> GetBorrowIndexAsync(
        Bytes32 positionId, string block = "latest", CancellationToken cancellationToken = default)
    {
        var function = MarginManagerAbi.Function("borrowIndex");
        var values = function.DecodeOutput(await rpc.CallAsync(new CallRequest(Contract, function.EncodeCall(positionId)), block, cancellationToken).ConfigureAwait(false));
        return ((ulong)(BigInteger)values[0], (ulong)(BigInteger)values[1]);
    }

    /// <summary><c>accruedBorrowFee(positionId)</c> at <paramref name="block"/>.</summary>
    public async Task<UInt128> GetAccruedBorrowFeeAsync(Bytes32 positionId, string block = "latest", CancellationToken cancellationToken = default)
    {
        var function = MarginManagerAbi.Function("accruedBorrowFee");
        return (UInt128)(BigInteger)function.DecodeOutput(
            await rpc.CallAsync(new CallRequest(Contract, function.EncodeCall(positionId)), block, cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary><c>governanceDelay()</c> in seconds (version 2).</summary>
    public async Task<ulong> GetGovernanceDelayAsync(CancellationToken cancellationToken = default) =>
        (ulong)(BigInteger)MarginManagerAbi.Function("governanceDelay")
            .DecodeOutput(await CallAsync(MarginManagerAbi.Function("governanceDelay").EncodeCall(), cancellationToken).ConfigureAwait(false))[0];

    /// <summary><c>governanceOp(opId)</c>: eta (0 when not queued: never, executed or cancelled) and the queued calldata.</summary>
    public async Task<(ulong Eta, byte[] Data)> GetGovernanceOpAsync(Bytes32 opId, CancellationToken cancellationToken = default)
    {
        var function = MarginManagerAbi.Function("governanceOp");
        var values = function.DecodeOutput(await CallAsync(function.EncodeCall(opId), cancellationToken).ConfigureAwait(false));
        return ((ulong)(BigInteger)values[0], (byte[])values[1]);
    }

    /// <summary>
    /// The operations still queued (neither executed nor cancelled), oldest first: the <c>GovernanceQueued</c> logs from
    /// <paramref name="fromBlock"/>, each checked against <c>governanceOp</c>.
    /// </summary>
    public async Task<IReadOnlyList<GovernanceOp>> GetQueuedGovernanceAsync(ulong fromBlock, CancellationToken cancellationToken = default)
    {
        var topic = MarginManagerAbi.Definition.Event("GovernanceQueued").Topic0;
        var logs = await rpc.GetLogsAsync(new LogFilter(Contract, [topic], Quantity.Encode(fromBlock), "latest"), cancellationToken).ConfigureAwait(false);
        var queued = new List<GovernanceOp>();
        foreach (var op in logs.Select(MarginManagerGovernance.Decode).OfType<GovernanceOp>())
        {
            if ((await GetGovernanceOpAsync(op.OpId, cancellationToken).ConfigureAwait(false)).Eta != 0)
            {
                queued.Add(op);
            }
        }

        return queued;
    }

    /// <summary>Relays <c>applyDecision(d, q)</c>; a revert surfaces before sending, decoded, from the gas estimate.</summary>
    public async Task<TransactionReceipt> ApplyDecisionAsync(
        TransactionSender sender, ISigner relayer, RiskDecision decision, Quorum quorum, CancellationToken cancellationToken = default) =>
        await SendAsync(sender, relayer, MarginManagerAbi.EncodeApplyDecision(decision, quorum), cancellationToken).ConfigureAwait(false);

    /// <summary>Relays <c>applyDecisions(batchNonce, validUntil, ds, q)</c>.</summary>
    public async Task<TransactionReceipt> ApplyDecisionsAsync(
        TransactionSender sender, ISigner relayer, DecisionList list, Quorum quorum, CancellationToken cancellationToken = default) =>
        await SendAsync(sender, relayer, MarginManagerAbi.EncodeApplyDecisions(list, quorum), cancellationToken).ConfigureAwait(false);

    /// <summary>Signs, sends and waits for any calldata addressed to the contract.</summary>
    public async Task<TransactionReceipt> SendAsync(TransactionSender sender, ISigner relayer, byte[] calldata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sender);
        var tx = await sender.SignEip1559Async(relayer, Contract, calldata, cancellationToken: cancellationToken).ConfigureAwait(false);
        return await sender.SendAndWaitAsync(tx, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The receipt's logs emitted by this contract that the ABI knows, decoded in log order.</summary>
    public IReadOnlyList<AbiDecoded> DecodeLogs(TransactionReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return receipt.Logs
            .Where(log => log.Address == Contract)
            .Select(log => _abi.TryDecodeLog(log.Topics, log.Data))
            .OfType<AbiDecoded>()
            .ToArray();
    }

    private Task<byte[]> CallAsync(byte[] calldata, CancellationToken cancellationToken) =>
        rpc.CallAsync(new CallRequest(Contract, calldata), "latest", cancellationToken);
}
