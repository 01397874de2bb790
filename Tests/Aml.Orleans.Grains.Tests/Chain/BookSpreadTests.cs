using Aml.Orleans.Grains.Book;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>
/// A silo that joins a running cluster gets its share of the book shards: the shards activated before it came up move
/// to it (live migration, rows flushed and reloaded), and a moved shard holds the rows it held.
/// </summary>
[Collection(ChainClusterCollection.Name)]
public sealed class BookSpreadTests(ChainClusterFixture fixture) : IAsyncLifetime
{
    private InProcessSiloHandle? _joined;

    public Task InitializeAsync() => Task.CompletedTask;

    // The other suites expect the fixture's two silos.
    public async Task DisposeAsync()
    {
        if (_joined is not null)
        {
            await fixture.Cluster.StopSiloAsync(_joined);
        }
    }

    [Fact]
    public async Task ASiloJoins_ShardsActivatedBeforeSpreadOverAllThree_EachKeepsItsRows()
    {
        string[] assets = ["BTC-USD", "ETH-USD", "SOL-USD", "DOGE-USD"];
        foreach (var asset in assets)
        {
            await fixture.MarkAsync(asset); // every market's shards are active, on the first two silos
        }

        var shards = fixture.Cluster.Client.GetGrain<IManagementGrain>(0);
        var rowsBefore = await RowsAsync(assets);

        _joined = (InProcessSiloHandle)await fixture.Cluster.StartAdditionalSiloAsync();
        var spread = await ClusterFixture.EventuallyAsync(() => PlacementAsync(shards), p =>
            p.Counts.Count == 3 && p.Counts.Values.Max() - p.Counts.Values.Min() <= 1 && p.Counts.GetValueOrDefault(_joined.SiloAddress) > 0,
            "shards spread over three silos", seconds: 60);

        Assert.True(spread.Counts.Values.Sum() >= assets.Length, spread.ToString());
        Assert.Equal(rowsBefore, await RowsAsync(assets));
    }

    // Active book shards per active silo (a silo with none counts as 0).
    private static async Task<Placement> PlacementAsync(IManagementGrain management)
    {
        var silos = (await management.GetHosts(onlyActive: true)).Keys;
        var stats = await management.GetDetailedGrainStatistics(BookSpreaderGrain.ShardClass);
        return new Placement(silos.ToDictionary(s => s, s => stats.Count(g => g.SiloAddress.Equals(s))));
    }

    private sealed record Placement(Dictionary<SiloAddress, int> Counts)
    {
        public override string ToString() => string.Join(", ", Counts.Select(c => $"{c.Key}: {c.Value} shards"));
    }

    private async Task<int[]> RowsAsync(string[] assets) =>
        await Task.WhenAll(assets.Select(async a => (await fixture.Client.GetGrain<IMarketBookGrain>($"{a}/0").GetSnapshotAsync()).Rows));
}
