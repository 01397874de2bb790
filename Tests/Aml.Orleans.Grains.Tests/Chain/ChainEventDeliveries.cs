using System.Collections.Concurrent;
using System.Diagnostics;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>
/// Which chain-event deliveries the position grains have finished handling, read from the Orleans server spans of
/// their <c>IPositionEngineGrain</c> calls. Every transaction that changes a position reaches it twice, in either order:
/// from the indexer (<c>ApplyChainEventAsync</c>, awaited) and from the oracle's receipt relay
/// (<c>NotifyChainEventAsync</c>, one-way, held while other transactions are in flight). Each delivery re-publishes the
/// position's book row, and a row re-published at a band the market already crossed starts a liquidation round of its
/// own; a test that needs the row to stay as it is, or one round only, waits for both deliveries first.
/// </summary>
public sealed class ChainEventDeliveries : IDisposable
{
    private const string IndexerDelivery = "/ApplyChainEventAsync";
    private const string RelayDelivery = "/NotifyChainEventAsync";

    private readonly ConcurrentQueue<(string Call, string Target)> _handled = new();
    private readonly ActivityListener _listener;

    /// <summary>Starts recording (before the transaction whose deliveries the test waits for).</summary>
    public ChainEventDeliveries()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.Orleans.Application",
            // All data: Orleans tags the target grain only on spans that record everything.
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span =>
            {
                if (span.Kind == ActivityKind.Server && span.GetTagItem("orleans.rpc.target_id") is string target)
                {
                    _handled.Enqueue((span.DisplayName, target));
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>
    /// Waits until position <paramref name="positionId"/> has handled a chain event from the indexer and one from the
    /// oracle's relay: after the first transaction that touched it since recording began, both deliveries have landed.
    /// </summary>
    public Task BothLandedAsync(string positionId) =>
        ClusterFixture.EventuallyAsync(
            () => Task.FromResult((Indexer: Count(positionId, IndexerDelivery), Relay: Count(positionId, RelayDelivery))),
            n => n.Indexer > 0 && n.Relay > 0,
            $"position {positionId} handling its chain event from both the indexer and the oracle's relay",
            seconds: 30);

    private int Count(string positionId, string call) =>
        _handled.Count(h => h.Call.EndsWith(call, StringComparison.Ordinal) && h.Target.EndsWith(positionId, StringComparison.OrdinalIgnoreCase));

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();
}
