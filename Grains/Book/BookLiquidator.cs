using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Positions;
using Aml.Orleans.Grains.Storage;

namespace Aml.Orleans.Grains.Book;

/// <summary>What a shard's liquidation round did with the rows a tick made liquidatable.</summary>
/// <param name="Submitted">Liquidations the oracle took in (its audit says Queued or later, or Failed with the reason).</param>
/// <param name="ForThePosition">Rows whose position must decide itself (see <see cref="LiquidationRule.Owed"/>).</param>
/// <param name="StatesReadAt">When the positions' stored state had been read and the decisions made (before the oracle call).</param>
internal sealed record LiquidationRound(
    IReadOnlyList<(PositionKey Key, Decision Decision, DecisionAudit Audit)> Submitted,
    IReadOnlyList<PositionKey> ForThePosition,
    DateTimeOffset StatesReadAt);

/// <summary>
/// A cascade without ten thousand grain round trips: the liquidations one tick made due are decided from the
/// positions' stored state (one query for all of them, <see cref="PositionStateTable.ReadAsync"/>) with the
/// positions' own rule (<see cref="LiquidationRule"/>), and handed to the oracle in a few calls that join one group
/// commit. No position grain is activated: each learns its liquidation from the chain's event, as it learns any change.
/// </summary>
internal sealed class BookLiquidator(PositionStateTable states, LiquidationRule rule, IOracleGrain oracle, int decisionsPerCall, TimeProvider clock)
{
    /// <summary>Decides and submits the liquidations of <paramref name="keys"/> at <paramref name="priceE8"/>.</summary>
    public async Task<LiquidationRound> RunAsync(IReadOnlyList<PositionKey> keys, long priceE8, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var ids = keys.Select(k => k.ToString()).ToArray();
        var stored = await states.ReadAsync(ids, cancellationToken);
        var owed = new List<(PositionKey Key, Decision Decision)>(keys.Count);
        var forThePosition = new List<PositionKey>();
        for (var i = 0; i < keys.Count; i++)
        {
            if (stored.TryGetValue(ids[i], out var state) && rule.Owed(ids[i], state, priceE8, at) is { } decision)
            {
                owed.Add((keys[i], decision));
            }
            else
            {
                forThePosition.Add(keys[i]); // no state stored yet, or a case the position handles itself
            }
        }

        // All calls at once, so they join the oracle's same group commit rather than one group each.
        var statesReadAt = clock.GetUtcNow();
        var chunks = owed.Chunk(decisionsPerCall).ToArray();
        var audits = await Task.WhenAll(chunks.Select(chunk => oracle.SubmitBatchAsync(chunk.Select(c => c.Decision).ToArray())));
        var submitted = new List<(PositionKey, Decision, DecisionAudit)>(owed.Count);
        for (var c = 0; c < chunks.Length; c++)
        {
            for (var i = 0; i < chunks[c].Length; i++)
            {
                submitted.Add((chunks[c][i].Key, chunks[c][i].Decision, audits[c][i]));
            }
        }

        return new LiquidationRound(submitted, forThePosition, statesReadAt);
    }
}
