using System.Collections.Concurrent;
using System.Diagnostics;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Telemetry;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>tick → book shard → oracle submit is one trace, and the transaction's span links back to it.</summary>
[Collection(ChainClusterCollection.Name)]
public sealed class TraceTests(ChainClusterFixture fixture) : IDisposable
{
    private const string Asset = "SOL-USD"; // a market of its own: other suites leave ETH and BTC at their last prices
    private readonly ConcurrentBag<Activity> _spans = [];
    private readonly ChainEventDeliveries _deliveries = new();
    private readonly ActivityListener _listener = new()
    {
        // Orleans propagates context through its own spans, which exist only when someone listens (the silo's OpenTelemetry does).
        ShouldListenTo = source => source.Name is EngineTelemetry.Name or "Microsoft.Orleans.Application",
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    [Fact]
    public async Task Liquidation_FromTickToTransaction_OneTraceLinkedToTheSend()
    {
        _listener.ActivityStopped = _spans.Add;
        ActivitySource.AddActivityListener(_listener);
        const long entry = 2_000_00000000;
        await fixture.MoveMarketAsync(Asset, entry);
        var (positionId, _) = await fixture.OpenAsync(Asset, 7, isLong: true, 500_000_000, 2_000, 100, entry);
        var position = fixture.Client.GetGrain<IPositionGrain>(positionId);
        await ClusterFixture.EventuallyAsync(() => position.GetSnapshotAsync(), s => s is { Status: PositionStatus.Open }, "open");
        // The open's second delivery (indexer or relay, whichever came last) re-publishes the row: after the tick it
        // would re-arm the band the tick crossed and start a round of its own, in its own trace, whose identical
        // LIQUIDATE could reach the oracle first and carry that trace instead of the tick's.
        await _deliveries.BothLandedAsync(positionId);

        await fixture.TickAsync(Asset, entry * 95 / 100);
        await ClusterFixture.EventuallyAsync(() => position.GetSnapshotAsync(), s => (s!.Status == PositionStatus.Liquidated || s.OnChainVersion > 1) && s.PendingDigest is null, "liquidated");

        // The shard decided it (the only position of this market) and submitted it with its round: the first such round
        // (a partial liquidation's chain event re-publishes the row and may start another one).
        // A span is recorded when it stops: the liquidation can reach the position before the shard's round or the
        // oracle's send has ended, so each is waited for, not read once.
        var liquidate = (await SpansEventuallyAsync(
            s => s.OperationName == "aml.book.liquidate" && ((string?)s.GetTagItem("aml.shard"))!.StartsWith(Asset, StringComparison.Ordinal),
            "the shard's liquidation round")).OrderBy(s => s.StartTimeUtc).First();
        var trace = liquidate.TraceId;
        Assert.Contains(_spans, s => s.OperationName == "aml.tick" && s.TraceId == trace);
        Assert.Contains(_spans, s => s.OperationName == "aml.oracle.submit_batch" && s.TraceId == trace);
        var send = Assert.Single(await SpansEventuallyAsync(
            s => s.OperationName == "aml.oracle.send" && s.Links.Any(l => l.Context.TraceId == trace), "the send linked to the trace"));
        Assert.NotNull(send.GetTagItem("aml.tx_hash"));
        // The receipt is settled in a later turn than the send (the oracle never waits for it), in a span of its own;
        // the indexer can deliver the liquidation to the position before that turn has ended.
        var settle = Assert.Single(await SpansEventuallyAsync(
            s => s.OperationName == "aml.oracle.settle" && s.Links.Any(l => l.Context.TraceId == trace),
            "the oracle's receipt round for the liquidation's transaction"));
        Assert.Equal(send.GetTagItem("aml.tx_hash"), settle.GetTagItem("aml.tx_hash"));
        Assert.Contains(settle.Events, e => e.Name == "receipt");
    }

    private Task<List<Activity>> SpansEventuallyAsync(Func<Activity, bool> match, string what) =>
        ClusterFixture.EventuallyAsync(() => Task.FromResult(_spans.Where(match).ToList()), found => found.Count > 0, what);

    public void Dispose()
    {
        _listener.Dispose();
        _deliveries.Dispose();
    }
}
