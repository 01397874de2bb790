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
    private static readonly HashSet<string> PositionEvents = new(StringComparer.Ordinal)
    {
        Events.PositionOpened, Events.CollateralAdded, Events.RiskUpdated, Events.PositionClosed, Events.PositionLiquidated,
        Events.DecisionSkipped, Events.PositionFrozen, Events.BorrowFeeCharged, Events.PayoutEscrowed, Events.EmergencyClosed,
    };

    /// <summary>
    /// Delivers the position events among <paramref name="logs"/> in log order; returns how many. With
    /// <paramref name="awaitDelivery"/> false the positions are told one-way (the oracle's fast path).
    /// </summary>
    public async Task<int> DeliverAsync(IEnumerable<LogEntry> logs, bool awaitDelivery = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var positions = new Dictionary<Bytes32, ChainPosition>();
        var blockTimes = new Dictionary<ulong, ulong>();
        BlockHeader? head = null;
        var delivered = 0;
        foreach (var log in logs)
        {
            if (DecodePositionEvent(log) is not { } e)
            {
                continue;
            }

            var (positionId, decoded) = e;

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

            var chainEvent = new ChainPositionEvent(
                decoded.Name,
                positionId.ToString(),
                decoded.Names.Contains("decisionHash") ? Hex.Encode((byte[])decoded["decisionHash"]) : null,
                log.BlockNumber ?? 0,
                log.TransactionHash?.ToString() ?? "",
                state,
                decoded.Names.Contains("pnl") ? checked((long)(BigInteger)decoded["pnl"]) : 0,
                decoded.Names.Contains("badDebt") ? checked((long)(BigInteger)decoded["badDebt"]) : 0,
                decoded.Name == Events.DecisionSkipped ? (int)(BigInteger)decoded["reason"] : 0,
                blockTime,
                decoded.Name switch
                {
                    Events.PayoutEscrowed => checked((long)(BigInteger)decoded["amount"]),
                    Events.BorrowFeeCharged => checked((long)(BigInteger)decoded["fee"]),
                    _ => 0,
                });
            var position = grains.GetGrain<IPositionEngineGrain>(chainEvent.PositionId);
            await (awaitDelivery ? position.ApplyChainEventAsync(chainEvent) : position.NotifyChainEventAsync(chainEvent)).ConfigureAwait(false);
            delivered++;
        }

        return delivered;
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
    /// The position event <paramref name="log"/> holds, decoded, with the id of its position; null for a removed log,
    /// another contract's or an event that is not a position's.
    /// </summary>
    public (Bytes32 PositionId, AbiDecoded Event)? DecodePositionEvent(LogEntry log)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (log.Removed || log.Address != chain.Contract.Contract || chain.Abi.TryDecodeLog(log.Topics, log.Data) is not { } decoded ||
            !PositionEvents.Contains(decoded.Name))
        {
            return null;
        }

        return (new Bytes32((byte[])decoded["positionId"]), decoded);
    }
}
