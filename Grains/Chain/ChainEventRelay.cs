using System.Numerics;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Abi;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Interfaces;
using Events = Aml.Orleans.Ethereum.MarginManagerNames.Events;

namespace Aml.Orleans.Grains.Chain;

/// <summary>
/// Turns the contract's position logs into <see cref="ChainPositionEvent"/>s and hands each to its position grain,
/// with the position as the chain holds it now. The oracle calls it with its receipts (the fast path) and the indexer
/// with <c>eth_getLogs</c> (the reconciler that also sees what others did: top-ups, closes, the guardian). Both may
/// deliver the same event; the position grain applies chain state idempotently by version.
/// </summary>
public sealed class ChainEventRelay(ChainContext chain, IGrainFactory grains)
{
    /// <summary>
    /// Delivers the position events among <paramref name="logs"/> in log order; returns how many. With
    /// <paramref name="awaitDelivery"/> false the positions are told one-way (the oracle's fast path). An event naming one
    /// of <paramref name="decisions"/> (by digest) carries that decision's model and features hashes.
    /// </summary>
    public async Task<int> DeliverAsync(
        IEnumerable<LogEntry> logs, bool awaitDelivery = true, IReadOnlyDictionary<string, Decision>? decisions = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var positions = new Dictionary<Bytes32, ChainPosition>();
        var blockTimes = new Dictionary<ulong, ulong>();
        var sentBy = new Dictionary<Bytes32, IReadOnlyDictionary<string, (string, string)>>();
        BlockHeader? head = null;
        var delivered = 0;
        foreach (var log in logs)
        {
            if (DecodePositionEvent(log) is not { } decoded)
            {
                continue;
            }

            var positionId = decoded.PositionId;
            if (!positions.TryGetValue(positionId, out var state))
            {
                // One block for every read, so the borrow index and its time belong together.
                head ??= await chain.Rpc.GetBlockAsync("latest", cancellationToken).ConfigureAwait(false);
                state = await ReadPositionAsync(positionId, head, cancellationToken).ConfigureAwait(false);
                positions[positionId] = state;
            }

            var block = log.BlockNumber ?? 0;
            if (!blockTimes.TryGetValue(block, out var blockTime))
            {
                blockTime = (await chain.Rpc.GetBlockAsync(Quantity.Encode(block), cancellationToken).ConfigureAwait(false)).Timestamp;
                blockTimes[block] = blockTime;
            }

            var digest = decoded.DecisionHash?.ToString();
            var hashes = digest is null ? null
                : decisions?.GetValueOrDefault(digest) is { } known ? (known.ModelHash, known.FeaturesHash)
                : decoded.Name is Events.PositionOpened or Events.RiskUpdated && log.TransactionHash is { } txHash
                    ? (await SentDecisionsAsync(txHash, sentBy, cancellationToken).ConfigureAwait(false)).GetValueOrDefault(digest)
                    : ((string, string)?)null;
            var chainEvent = new ChainPositionEvent(
                decoded.Name, positionId.ToString(), digest, block, log.TransactionHash?.ToString() ?? "",
                state, decoded.Pnl, decoded.BadDebt, decoded.SkipReason, blockTime, decoded.Amount, hashes?.Item1, hashes?.Item2);
            var position = grains.GetGrain<IPositionEngineGrain>(chainEvent.PositionId);
            await (awaitDelivery ? position.ApplyChainEventAsync(chainEvent) : position.NotifyChainEventAsync(chainEvent)).ConfigureAwait(false);
            delivered++;
        }

        return delivered;
    }

    /// <summary>
    /// The model and features hashes of each decision (by digest) that transaction <paramref name="txHash"/> carried,
    /// decoded from its calldata (an <c>openPositionFor</c> or an <c>applyDecisions</c>): the terms an OPEN or ADJUST
    /// puts in force name their model, which the event does not. Read once per transaction.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, (string, string)>> SentDecisionsAsync(
        Bytes32 txHash, Dictionary<Bytes32, IReadOnlyDictionary<string, (string, string)>> cache, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(txHash, out var known))
        {
            return known;
        }

        var input = await chain.Rpc.GetTransactionInputAsync(txHash, cancellationToken).ConfigureAwait(false) ?? [];
        var open = chain.Abi.Function(MarginManagerNames.Functions.OpenPositionFor);
        var batch = chain.Abi.Function(MarginManagerNames.Functions.ApplyDecisions);
        IEnumerable<RiskDecision> sent = input.AsSpan().StartsWith(open.Selector) ? [RiskDecision.FromAbiValue(open.DecodeCall(input)[0])]
            : input.AsSpan().StartsWith(batch.Selector) ? MarginManagerAbi.DecodeApplyDecisions(input).List.Decisions
            : [];
        var hashes = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var decision in sent)
        {
            hashes[Hex.Encode(decision.Digest(chain.Domain))] = (decision.ModelHash.ToString(), decision.FeaturesHash.ToString());
        }

        cache[txHash] = hashes;
        return hashes;
    }

    /// <summary>
    /// The position as the chain holds it at <paramref name="head"/>: its view, the margin pending for it and the
    /// borrow indexes with the time they were read at, all from that one block.
    /// </summary>
    public async Task<ChainPosition> ReadPositionAsync(Bytes32 positionId, BlockHeader head, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(head);
        var at = Quantity.Encode(head.Number);
        var state = chain.ToEngine(await chain.Contract.GetPositionAsync(positionId, at, cancellationToken).ConfigureAwait(false));
        var pending = chain.Abi.Function(MarginManagerNames.Functions.PendingMargin);
        var margin = pending.DecodeOutput(await chain.Rpc.CallAsync(
            new CallRequest(chain.Contract.Contract, pending.EncodeCall(positionId)), at, cancellationToken).ConfigureAwait(false));
        var (marketIndex, positionIndex) = await chain.Contract.GetBorrowIndexAsync(positionId, at, cancellationToken).ConfigureAwait(false);
        return state with
        {
            PendingMarginBps = (uint)(BigInteger)margin[0], PendingMarginFrom = (ulong)(BigInteger)margin[1],
            PositionBorrowIndex = positionIndex, MarketBorrowIndex = marketIndex, BorrowIndexAt = head.Timestamp,
            ReadAtBlock = head.Number,
        };
    }

    /// <summary>
    /// The position event <paramref name="log"/> holds, decoded; null for a removed log,
    /// another contract's or an event that is not a position's.
    /// </summary>
    public PositionEventLog? DecodePositionEvent(LogEntry log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return log.Removed || log.Address != chain.Contract.Contract ? null : PositionEventLog.TryDecode(chain.Abi, log.Topics, log.Data);
    }
}
