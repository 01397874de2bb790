using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Interfaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Events = Aml.Orleans.Ethereum.MarginManagerNames.Events;

namespace Aml.Orleans.Grains.Chain;

/// <summary>
/// Turns the contract's position logs into <see cref="ChainPositionEvent"/>s and hands each to its position grain,
/// with the position as the chain holds it now. The oracle calls it with its receipts (the fast path) and the indexer
/// with <c>eth_getLogs</c> (the reconciler that also sees what others did: top-ups, closes, the guardian). Both may
/// deliver the same event; the position grain applies chain state idempotently by version. Whatever the number of
/// events, the chain is read in a few JSON-RPC batches (<see cref="ChainEventRelay"/>'s reads), and one log line says
/// what was delivered.
/// </summary>
public sealed partial class ChainEventRelay(ChainContext chain, IGrainFactory grains, ILogger<ChainEventRelay>? logger = null)
{
    /// <summary>
    /// Positions whose events are delivered at once when delivery is awaited: each delivery activates a position and
    /// writes its state, so one at a time a block of ten thousand events takes minutes; a position's own events still go
    /// one after another, in log order.
    /// </summary>
    public const int MaxConcurrentPositions = 32;

    private readonly ILogger _logger = logger ?? NullLogger<ChainEventRelay>.Instance;

    /// <summary>
    /// Delivers the position events among <paramref name="logs"/>, each position's in log order; returns how many. With
    /// <paramref name="awaitDelivery"/> false the positions are told one-way (the oracle's fast path). An event naming one
    /// of <paramref name="decisions"/> (by digest) carries that decision's model and features hashes.
    /// </summary>
    public async Task<int> DeliverAsync(
        IEnumerable<LogEntry> logs, bool awaitDelivery = true, IReadOnlyDictionary<string, Decision>? decisions = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var found = logs.Select(log => (Log: log, Decoded: DecodePositionEvent(log))).Where(e => e.Decoded is not null).ToList();
        if (found.Count == 0)
        {
            return 0;
        }

        var events = await ToChainEventsAsync(found!, decisions, cancellationToken).ConfigureAwait(false);
        if (awaitDelivery)
        {
            var byPosition = events.GroupBy(e => e.PositionId, StringComparer.Ordinal); // each group keeps its log order
            await Parallel.ForEachAsync(
                byPosition, new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentPositions, CancellationToken = cancellationToken },
                async (group, _) =>
                {
                    var position = grains.GetGrain<IPositionEngineGrain>(group.Key);
                    foreach (var chainEvent in group)
                    {
                        await position.ApplyChainEventAsync(chainEvent).ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);
        }
        else
        {
            foreach (var chainEvent in events)
            {
                await grains.GetGrain<IPositionEngineGrain>(chainEvent.PositionId).NotifyChainEventAsync(chainEvent).ConfigureAwait(false);
            }
        }

        LogDelivered(events);
        return events.Count;
    }

    /// <summary>
    /// The events of <paramref name="found"/> with what the chain says of their positions: every read these need, for
    /// all of them, in a few batched calls (the positions at the head, their blocks' times, the decisions their
    /// transactions carried).
    /// </summary>
    private async Task<List<ChainPositionEvent>> ToChainEventsAsync(
        List<(LogEntry Log, PositionEventLog Decoded)> found, IReadOnlyDictionary<string, Decision>? decisions, CancellationToken cancellationToken)
    {
        // One block for every read, so the borrow index and its time belong together.
        var head = await chain.Rpc.GetBlockAsync("latest", cancellationToken).ConfigureAwait(false);
        var positions = await ReadPositionsAsync(found.Select(e => e.Decoded.PositionId).Distinct().ToList(), head, cancellationToken).ConfigureAwait(false);
        var blockTimes = await BlockTimesAsync(found.Select(e => e.Log.BlockNumber ?? 0).Distinct().ToList(), cancellationToken).ConfigureAwait(false);
        var unknown = found.Where(e => NeedsSentDecision(e.Decoded, decisions) && e.Log.TransactionHash is not null)
            .Select(e => e.Log.TransactionHash!.Value).Distinct().ToList();
        var sent = await SentDecisionsAsync(unknown, cancellationToken).ConfigureAwait(false);

        var events = new List<ChainPositionEvent>(found.Count);
        foreach (var (log, decoded) in found)
        {
            var digest = decoded.DecisionHash?.ToString();
            var named = digest is null ? null
                : decisions?.GetValueOrDefault(digest) is { } known ? new SentDecision(known.ModelHash, known.FeaturesHash, known.MarkPriceE8)
                : NeedsSentDecision(decoded, decisions) ? sent.GetValueOrDefault(digest)
                : null;
            var terms = decoded.Name is Events.PositionOpened or Events.RiskUpdated ? named : null; // the model of the terms put in force
            var block = log.BlockNumber ?? 0;
            events.Add(new ChainPositionEvent(
                decoded.Name, decoded.PositionId.ToString(), digest, block, log.TransactionHash?.ToString() ?? "",
                positions[decoded.PositionId], decoded.Pnl, decoded.BadDebt, decoded.SkipReason, blockTimes[block], decoded.Amount,
                terms?.ModelHash, terms?.FeaturesHash, decoded.Name == Events.PositionLiquidated ? named?.MarkPriceE8 : null));
        }

        return events;
    }

    /// <summary>
    /// True when what <paramref name="decoded"/> needs of its decision only its transaction's calldata tells (an OPEN or
    /// ADJUST's model, a LIQUIDATE's fill price) because it is not one of the caller's own <paramref name="decisions"/>.
    /// </summary>
    private static bool NeedsSentDecision(PositionEventLog decoded, IReadOnlyDictionary<string, Decision>? decisions) =>
        decoded is { Name: Events.PositionOpened or Events.RiskUpdated or Events.PositionLiquidated, DecisionHash: { } digest } &&
        decisions?.ContainsKey(digest.ToString()) != true;

    /// <summary>
    /// The position event <paramref name="log"/> holds, decoded; null for a removed log,
    /// another contract's or an event that is not a position's.
    /// </summary>
    public PositionEventLog? DecodePositionEvent(LogEntry log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return log.Removed || log.Address != chain.Contract.Contract ? null : PositionEventLog.TryDecode(chain.Abi, log.Topics, log.Data);
    }

    /// <summary>One line for everything one call delivered: the blocks, how many events of each kind, to how many positions.</summary>
    private void LogDelivered(List<ChainPositionEvent> events)
    {
        if (!_logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        var kinds = string.Join(", ", events.GroupBy(e => e.EventName, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"));
        LogEventsDelivered(
            events.Count, events.Select(e => e.PositionId).Distinct(StringComparer.Ordinal).Count(),
            events.Min(e => e.BlockNumber), events.Max(e => e.BlockNumber), kinds);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Chain events delivered: {Events} events to {Positions} positions from blocks {FromBlock}..{ToBlock} ({Kinds})")]
    private partial void LogEventsDelivered(int events, int positions, ulong fromBlock, ulong toBlock, string kinds);
}
