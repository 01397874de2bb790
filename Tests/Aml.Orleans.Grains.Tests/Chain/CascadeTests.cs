using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Interfaces;
using Npgsql;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>
/// One tick crosses many positions' liquidation bands: their book shard decides the liquidations from the positions'
/// stored state and hands them to the oracle as one group, which sends them in full batches of at most
/// <c>MaxBatchSize</c>; each position is liquidated once on-chain, also when the oracle's silo dies mid-way.
/// </summary>
[Collection(ChainClusterCollection.Name)]
public sealed class CascadeTests(ChainClusterFixture fixture) : IAsyncLifetime
{
    private const string Asset = "DOGE-USD"; // 10x at most, 2 % margin at least; ReorgTests' positions sit far below
    private const long EntryE8 = 50_000_000; // 0.50 USD
    private const long Collateral = 10_000_000; // 10 USDC
    private const int MaxBatchSize = 50; // the oracle's default

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.RestoreAfterFaultAsync();

    [Fact]
    public async Task Cascade_TickCrossesManyBands_EachLiquidatedOnceInFullBatchesWithoutWakingThePositionsFirst()
    {
        var ids = await OpenAsync(count: 2 * MaxBatchSize + 10);

        await CrashAsync();

        await WaitForAllLiquidatedAsync(ids, failover: false);
        await AssertLiquidatedOnceInFullBatchesAsync(ids);
        var shard = fixture.Client.GetGrain<IMarketBookGrain>(BookShardKey.For(Asset, PositionKey.Parse(ids[0]), 1).ToString());
        var snapshot = await shard.GetSnapshotAsync();
        Assert.True(snapshot.LiquidationsSubmitted >= ids.Count, "the shard decided them, not their positions");
        // Its round's stamps, which the load harness reads for tick → signed's stages: at the crash's price, in order.
        var round = snapshot.LastLiquidationRound;
        Assert.NotNull(round);
        Assert.Equal(EntryE8 * 90 / 100, round.PriceE8);
        Assert.True(round.CrossedAt <= round.StatesReadAt && round.StatesReadAt <= round.SubmittedAt, round.ToString());
    }

    [Fact]
    public async Task Cascade_OracleSiloKilledWhileItsBatchesAreInFlight_NoneLostNoneSentTwice()
    {
        var ids = await OpenAsync(count: MaxBatchSize + 20);

        // The chain stops mining: the batches are signed, stored and sent, but no receipt comes back before the crash.
        await fixture.Chain.SetFeedPriceAsync(Asset, EntryE8 * 90 / 100); // while the chain still mines
        await fixture.WaitForChainClockAsync();
        await fixture.Chain.SetAutomineAsync(false);
        await CrashAsync(publishToFeed: false);
        await ClusterFixture.EventuallyAsync(() => CountAsync(ids, "status = 'SENT'"), n => n == ids.Count, "every liquidation signed and sent", seconds: 30);

        await fixture.Cluster.KillSiloAsync(await fixture.HostOfAsync(fixture.Oracle));
        await fixture.Chain.SetAutomineAsync(true);
        await fixture.Chain.MineAsync();

        await WaitForAllLiquidatedAsync(ids, failover: true);
        await AssertLiquidatedOnceInFullBatchesAsync(ids);
    }

    /// <summary>Opens <paramref name="count"/> 10x longs at the entry through the oracle and waits until their grains follow the chain.</summary>
    private async Task<IReadOnlyList<string>> OpenAsync(int count)
    {
        await fixture.MoveMarketAsync(Asset, EntryE8);
        await fixture.WaitForChainClockAsync();
        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var (id, audit) = await fixture.OpenAsync(Asset, 6 + i % 3, isLong: true, Collateral, 1_000, 200, EntryE8);
            Assert.NotEqual(SubmissionStatus.Failed, audit.Status);
            ids.Add(id);
        }

        foreach (var id in ids)
        {
            await ClusterFixture.EventuallyAsync(
                () => fixture.Client.GetGrain<IPositionGrain>(id).GetSnapshotAsync(), s => s is { Status: PositionStatus.Open }, "open", seconds: 60);
        }

        await fixture.WaitForChainClockAsync(); // the contract refuses a price older than the positions' block
        return ids;
    }

    /// <summary>10x at a 2 % margin is liquidated 8 % below entry: one move to 90 % crosses every band at once.</summary>
    private Task CrashAsync(bool publishToFeed = true) => publishToFeed
        ? fixture.MoveMarketAsync(Asset, EntryE8 * 90 / 100)
        : ConfirmedTickAsync(EntryE8 * 90 / 100);

    private async Task ConfirmedTickAsync(long priceE8)
    {
        if ((await fixture.TickAsync(Asset, priceE8, publishToFeed: false)).Rejection == TickRejection.UnconfirmedJump)
        {
            Assert.True((await fixture.TickAsync(Asset, priceE8, publishToFeed: false)).Accepted, $"{Asset} did not confirm {priceE8}");
        }
    }

    private async Task WaitForAllLiquidatedAsync(IReadOnlyList<string> ids, bool failover)
    {
        Func<Task<int>> applied = () => CountAsync(ids, "status = 'APPLIED'");
        var done = failover
            ? await ClusterFixture.EventuallyAfterFailoverAsync(applied, n => n >= ids.Count, "every liquidation applied after the crash", seconds: 120)
            : await ClusterFixture.EventuallyAsync(applied, n => n >= ids.Count, "every liquidation applied", seconds: 60);
        Assert.Equal(ids.Count, done);
    }

    /// <summary>
    /// On-chain: one PositionLiquidated per position. In the audit: one applied LIQUIDATE per position, and the
    /// transactions that carried them full batches (at most <see cref="MaxBatchSize"/>, all but one full).
    /// </summary>
    private async Task AssertLiquidatedOnceInFullBatchesAsync(IReadOnlyList<string> ids)
    {
        var logs = await fixture.Chain.Rpc.GetLogsAsync(new LogFilter(
            Address.Parse(fixture.Chain.Deployment.MarginManager), [MarginManagerAbi.Definition.Event("PositionLiquidated").Topic0],
            FromBlock: "0x0", ToBlock: "latest"));
        var liquidated = logs.Select(l => l.Topics[1].ToString()).Where(ids.Contains).GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(ids.Count, liquidated.Count);
        Assert.All(liquidated, p => Assert.Equal(1, p.Value));

        var perPosition = await QueryAsync<(string, long)>(
            "SELECT position_id, count(*) FROM aml_audit_decision WHERE kind = 'LIQUIDATE' AND status = 'APPLIED' AND position_id = ANY(@ids) GROUP BY position_id",
            ids, r => (r.GetString(0), r.GetInt64(1)));
        Assert.Equal(ids.Count, perPosition.Count);
        Assert.All(perPosition, p => Assert.Equal(1L, p.Item2));

        // Every transaction that carried one of ours, with all the liquidations it carried (others' too).
        var batches = await QueryAsync<long>(
            "SELECT count(*) FROM aml_audit_decision WHERE kind = 'LIQUIDATE' AND tx_hash IN " +
            "(SELECT tx_hash FROM aml_audit_decision WHERE position_id = ANY(@ids) AND kind = 'LIQUIDATE' AND status = 'APPLIED') GROUP BY tx_hash",
            ids, r => r.GetInt64(0));
        Assert.All(batches, size => Assert.InRange(size, 1, MaxBatchSize));
        Assert.Equal((int)Math.Ceiling(batches.Sum() / (double)MaxBatchSize), batches.Count);
    }

    private async Task<int> CountAsync(IReadOnlyList<string> ids, string condition) =>
        (int)(await QueryAsync<long>(
            $"SELECT count(*) FROM aml_audit_decision WHERE kind = 'LIQUIDATE' AND position_id = ANY(@ids) AND {condition}", ids, r => r.GetInt64(0)))[0];

    private async Task<List<T>> QueryAsync<T>(string sql, IReadOnlyList<string> ids, Func<NpgsqlDataReader, T> read)
    {
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("ids", ids.ToArray());
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
