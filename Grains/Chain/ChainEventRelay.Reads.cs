using System.Numerics;
using System.Text.Json;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Functions = Aml.Orleans.Ethereum.MarginManagerNames.Functions;

namespace Aml.Orleans.Grains.Chain;

/// <summary>
/// The relay's chain reads, each for a whole delivery in JSON-RPC batches: a block of ten thousand events costs a few
/// dozen round trips, not four per event.
/// </summary>
public sealed partial class ChainEventRelay
{
    /// <summary>
    /// The position as the chain holds it at <paramref name="head"/>: its view, the margin pending for it and the
    /// borrow indexes with the time they were read at, all from that one block.
    /// </summary>
    public async Task<ChainPosition> ReadPositionAsync(Bytes32 positionId, BlockHeader head, CancellationToken cancellationToken) =>
        (await ReadPositionsAsync([positionId], head, cancellationToken).ConfigureAwait(false))[positionId];

    /// <summary>Each of <paramref name="positionIds"/> as <see cref="ReadPositionAsync"/> reads it, in batches (three calls a position).</summary>
    public async Task<Dictionary<Bytes32, ChainPosition>> ReadPositionsAsync(
        IReadOnlyList<Bytes32> positionIds, BlockHeader head, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(positionIds);
        ArgumentNullException.ThrowIfNull(head);
        var view = chain.Abi.Function(Functions.GetPosition);
        var pending = chain.Abi.Function(Functions.PendingMargin);
        var borrow = chain.Abi.Function(Functions.BorrowIndex);
        var calls = new List<CallRequest>(positionIds.Count * 3);
        foreach (var id in positionIds)
        {
            calls.Add(new CallRequest(chain.Contract.Contract, view.EncodeCall(id)));
            calls.Add(new CallRequest(chain.Contract.Contract, pending.EncodeCall(id)));
            calls.Add(new CallRequest(chain.Contract.Contract, borrow.EncodeCall(id)));
        }

        var results = await chain.Rpc.CallAllAsync(calls, Quantity.Encode(head.Number), cancellationToken).ConfigureAwait(false);
        var positions = new Dictionary<Bytes32, ChainPosition>(positionIds.Count);
        for (var i = 0; i < positionIds.Count; i++)
        {
            var state = chain.ToEngine(MarginManagerAbi.DecodePosition(results[3 * i]));
            var margin = pending.DecodeOutput(results[(3 * i) + 1]);
            var indexes = borrow.DecodeOutput(results[(3 * i) + 2]);
            positions[positionIds[i]] = state with
            {
                PendingMarginBps = (uint)(BigInteger)margin[0], PendingMarginFrom = (ulong)(BigInteger)margin[1],
                PositionBorrowIndex = (ulong)(BigInteger)indexes[1], MarketBorrowIndex = (ulong)(BigInteger)indexes[0],
                BorrowIndexAt = head.Timestamp, ReadAtBlock = head.Number,
            };
        }

        return positions;
    }

    /// <summary>The timestamp of each of <paramref name="blocks"/>, in batches.</summary>
    public async Task<Dictionary<ulong, ulong>> BlockTimesAsync(IReadOnlyList<ulong> blocks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var results = await chain.Rpc.RequestBatchAsync(
            blocks.Select(b => new RpcCall("eth_getBlockByNumber", [Quantity.Encode(b), false])).ToList(), cancellationToken).ConfigureAwait(false);
        var times = new Dictionary<ulong, ulong>(blocks.Count);
        for (var i = 0; i < blocks.Count; i++)
        {
            times[blocks[i]] = results[i].ValueKind == JsonValueKind.Object
                ? (ulong)Quantity.Decode(results[i].GetProperty("timestamp").GetString()!)
                : throw new InvalidOperationException($"block {blocks[i]} not found (a reorg since its logs were read)");
        }

        return times;
    }

    /// <summary>
    /// The model and features hashes and the mark price of each decision (by digest) that the transactions
    /// <paramref name="txHashes"/> carried, decoded from their calldata (an <c>openPositionFor</c> or an
    /// <c>applyDecisions</c>): the terms an OPEN or ADJUST puts in force name their model, and a LIQUIDATE fills at its
    /// mark, which the events do not say. All the transactions in batches.
    /// </summary>
    private async Task<Dictionary<string, SentDecision>> SentDecisionsAsync(IReadOnlyList<Bytes32> txHashes, CancellationToken cancellationToken)
    {
        var hashes = new Dictionary<string, SentDecision>(StringComparer.Ordinal);
        if (txHashes.Count == 0)
        {
            return hashes;
        }

        var open = chain.Abi.Function(Functions.OpenPositionFor);
        var batch = chain.Abi.Function(Functions.ApplyDecisions);
        foreach (var input in await chain.Rpc.GetTransactionInputsAsync(txHashes, cancellationToken).ConfigureAwait(false))
        {
            var data = input ?? [];
            IEnumerable<RiskDecision> sent = data.AsSpan().StartsWith(open.Selector) ? [RiskDecision.FromAbiValue(open.DecodeCall(data)[0])]
                : data.AsSpan().StartsWith(batch.Selector) ? MarginManagerAbi.DecodeApplyDecisions(data).List.Decisions
                : [];
            foreach (var decision in sent)
            {
                hashes[Hex.Encode(decision.Digest(chain.Domain))] =
                    new(decision.ModelHash.ToString(), decision.FeaturesHash.ToString(), Units.FromE18(decision.MarkPriceE18));
            }
        }

        return hashes;
    }
}

/// <summary>What a decision's calldata says that its event does not: the model it cites and the price it was made at.</summary>
internal sealed record SentDecision(string ModelHash, string FeaturesHash, long MarkPriceE8);
