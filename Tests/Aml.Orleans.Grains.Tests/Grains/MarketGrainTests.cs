using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Storage;
using Npgsql;

namespace Aml.Orleans.Grains.Tests.Grains;

[Collection(ClusterCollection.Name)]
public sealed class MarketGrainTests(ClusterFixture fixture)
{
    private IMarketGrain NewMarket() => fixture.Client.GetGrain<IMarketGrain>(Chain.NewAsset());

    [Fact]
    public async Task SubmitTickAsync_BadTicks_RejectedWithReasonAndPriceUnchanged()
    {
        var market = NewMarket();
        var now = fixture.Time.GetUtcNow();
        Assert.Equal(TickRejection.Stale, (await market.SubmitTickAsync(new MarketTick(2_000 * Chain.Dollar, now.AddMinutes(-5)))).Rejection);
        Assert.True((await market.SubmitTickAsync(new MarketTick(2_000 * Chain.Dollar, now))).Accepted);

        Assert.Equal(TickRejection.NonPositivePrice, (await market.SubmitTickAsync(new MarketTick(0, now.AddMilliseconds(10)))).Rejection);
        Assert.Equal(TickRejection.OutOfOrder, (await market.SubmitTickAsync(new MarketTick(2_001 * Chain.Dollar, now))).Rejection);
        Assert.Equal(TickRejection.UnconfirmedJump, (await market.SubmitTickAsync(new MarketTick(1 * Chain.Dollar, now.AddMilliseconds(20)))).Rejection);

        var snapshot = await market.GetSnapshotAsync();
        Assert.Equal(2_000 * Chain.Dollar, snapshot.LastPriceE8);
        Assert.Equal(1, snapshot.TicksAccepted);
        Assert.Equal(4, snapshot.TicksRejected);
        Assert.Equal(TickRejection.UnconfirmedJump, snapshot.LastRejection);
    }

    [Fact]
    public async Task CloseCandleAsync_HighBelowLow_RejectedAndNotKept()
    {
        var market = NewMarket();
        var time = new DateTimeOffset(2024, 8, 5, 0, 0, 0, TimeSpan.Zero);
        var good = new MarketCandle(time, 100, 110, 90, 105, 1, null, null, null);
        var bad = good with { OpenTime = time.AddHours(1), HighE8 = 80 };

        Assert.True((await market.CloseCandleAsync(good)).Accepted);
        Assert.Equal(TickRejection.MalformedCandle, (await market.CloseCandleAsync(bad)).Rejection);
        Assert.Equal(TickRejection.OutOfOrder, (await market.CloseCandleAsync(good)).Rejection);
        Assert.Equal(1, (await market.GetSnapshotAsync()).CandlesSeen);
    }

    [Fact]
    public async Task Open_BandAlreadyCrossedAtTheLastPrice_RearmedAtOnceWithoutWakingThePosition()
    {
        var asset = Chain.NewAsset();
        var market = fixture.Client.GetGrain<IMarketGrain>(asset);
        await market.SubmitTickAsync(new MarketTick(9_740_000_000, fixture.Time.GetUtcNow()));

        // Opened at 100 while the market is at 97.4: past the 10x long's warning (97.5), not its liquidation (~95).
        var positionId = Chain.NewPositionId();
        await Open(positionId, asset, isLong: true, leverageX100: 1_000);

        var shard = Shard(asset);
        var counts = await shard.GetSnapshotAsync();
        Assert.Equal((1, 1, 0L), (counts.Rows, counts.BandsRearmed, counts.PositionsWoken));
        var row = (await shard.GetRowAsync(PositionKey.Parse(positionId)))!.Value;
        Assert.Equal(BandDirection.Rising, row.Warning.Direction); // now waiting for the recovery, not the warning
        Assert.True(row.Warning.PriceE8 > 9_740_000_000);
        Assert.Equal(Suggestion.AddCollateral, (await Snapshot(positionId))!.Suggestion); // computed when read, from the mark
    }

    [Fact]
    public async Task SubmitTickAsync_PricePathCrossingBands_RearmsExactlyThePositionsCrossed()
    {
        var asset = Chain.NewAsset();
        var market = fixture.Client.GetGrain<IMarketGrain>(asset);
        var shard = Shard(asset);
        var now = fixture.Time.GetUtcNow();
        await market.SubmitTickAsync(new MarketTick(100 * Chain.Dollar, now));

        // 10x positions with 5 % maintenance: liquidation ~5 % away, the warning (1.5x requirement) ~2.5 % away.
        var long10 = Chain.NewPositionId();
        var long5 = Chain.NewPositionId();
        var short10 = Chain.NewPositionId();
        await Open(long10, asset, isLong: true, leverageX100: 1_000);
        await Open(long5, asset, isLong: true, leverageX100: 500);
        await Open(short10, asset, isLong: false, leverageX100: 1_000);
        var snapshot = await market.GetSnapshotAsync();
        Assert.Equal((3, 6), (snapshot.WatchedPositions, snapshot.Bands));

        // 97.4: past the 10x long's warning (97.5), not the 5x long's (92.5), and away from the short.
        Assert.Equal(1, (await market.SubmitTickAsync(new MarketTick(9_740_000_000, now.AddSeconds(1)))).BookShards);
        var counts = await ClusterFixture.EventuallyAsync(() => shard.GetSnapshotAsync(), s => s.LastPriceE8 == 9_740_000_000, "97.4 reached the shard");
        Assert.Equal((1L, 0L), (counts.BandsRearmed, counts.PositionsWoken)); // a warning wakes no position
        Assert.Equal(Suggestion.AddCollateral, (await Snapshot(long10))!.Suggestion);
        Assert.Equal(Suggestion.None, (await Snapshot(long5))!.Suggestion);
        Assert.Equal(Suggestion.None, (await Snapshot(short10))!.Suggestion);

        // A burst of ticks in the same zone crosses nothing again: the crossed band was replaced by the recovery band.
        await market.SubmitTickAsync(new MarketTick(9_735_000_000, now.AddSeconds(2)));
        counts = await ClusterFixture.EventuallyAsync(() => shard.GetSnapshotAsync(), s => s.LastPriceE8 == 9_735_000_000, "97.35 reached the shard");
        Assert.Equal((1L, 6), (counts.BandsRearmed, counts.ArmedBands));

        // Back up to 102.6: the 10x long recovers (its recovery band) and the short crosses its warning (102.5).
        await market.SubmitTickAsync(new MarketTick(10_260_000_000, now.AddSeconds(3)));
        counts = await ClusterFixture.EventuallyAsync(() => shard.GetSnapshotAsync(), s => s.LastPriceE8 == 10_260_000_000, "102.6 reached the shard");
        Assert.Equal((3L, 0L), (counts.BandsRearmed, counts.PositionsWoken));
        Assert.Equal(Suggestion.AddCollateral, (await Snapshot(short10))!.Suggestion);
        Assert.Equal(Suggestion.None, (await Snapshot(long10))!.Suggestion);
        Assert.Equal(Suggestion.None, (await Snapshot(long5))!.Suggestion);
    }

    [Fact]
    public async Task ApplyChainEvent_OpenThenClosed_RowStoredBeforeTheCallReturnsAndRemovedOnClose()
    {
        var asset = Chain.NewAsset();
        await fixture.Client.GetGrain<IMarketGrain>(asset).SubmitTickAsync(new MarketTick(100 * Chain.Dollar, fixture.Time.GetUtcNow()));
        var positionId = Chain.NewPositionId();
        var key = PositionKey.Parse(positionId);
        var table = new PositionBookTable(NpgsqlDataSource.Create(fixture.Database.ConnectionString));
        var shardKey = new BookShardKey(asset, 0);

        await Open(positionId, asset, isLong: true, leverageX100: 1_000);
        var stored = Assert.Single(await table.LoadAsync(shardKey, CancellationToken.None));
        Assert.Equal((key, 1_000L * Chain.Usdc, 10_000L * Chain.Usdc), (stored.Key, stored.Collateral, stored.Size));
        Assert.Equal(BandDirection.Falling, stored.Liquidation.Direction);
        Assert.True(stored.NextReassessAtMs > fixture.Time.GetUtcNow().ToUnixTimeMilliseconds()); // the sweep reassesses it later

        var closed = Chain.Opened(positionId, asset, true, 1_000 * Chain.Usdc, 1_000, 100 * Chain.Dollar, 500) is var opened
            ? opened with { EventName = "PositionClosed", Position = opened.Position with { Status = ChainPositionStatus.Closed, Version = 2 } }
            : null!;
        await fixture.Client.GetGrain<IPositionEngineGrain>(positionId).ApplyChainEventAsync(closed);
        Assert.Empty(await table.LoadAsync(shardKey, CancellationToken.None));
        Assert.Null(await Shard(asset).GetRowAsync(key));
    }

    [Fact]
    public async Task UpsertAsync_RowOfAnotherShard_RefusedAndNothingStored()
    {
        var asset = Chain.NewAsset();
        var wrong = fixture.Client.GetGrain<IMarketBookGrain>(new BookShardKey(asset, 1).ToString()); // the market has one bucket, 0
        var row = new BookRow(PositionKey.Parse(Chain.NewPositionId()), true, 1_000, 1_000, 1_000, 10_000, 100 * Chain.Dollar, 500, 0, 0, 1,
            new BookBand(BandDirection.Falling, 95 * Chain.Dollar), BookBand.None, 1);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => wrong.UpsertAsync(row, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", wakeIfCrossed: true));
        Assert.Contains($"belongs to book shard {asset}/0", error.Message);
        Assert.Equal(0, (await wrong.GetSnapshotAsync()).Rows);
        await Assert.ThrowsAsync<ArgumentException>(() => Shard(asset).UpsertAsync(row with { Size = 0 }, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", wakeIfCrossed: true));
        Assert.Equal(0, (await Shard(asset).GetSnapshotAsync()).Rows);
    }

    private IMarketBookGrain Shard(string asset) =>
        fixture.Client.GetGrain<IMarketBookGrain>(new BookShardKey(asset, 0).ToString());

    private Task Open(string positionId, string asset, bool isLong, long leverageX100) =>
        fixture.Client.GetGrain<IPositionEngineGrain>(positionId)
            .ApplyChainEventAsync(Chain.Opened(positionId, asset, isLong, 1_000 * Chain.Usdc, leverageX100, 100 * Chain.Dollar, 500));

    private Task<PositionSnapshot?> Snapshot(string positionId) =>
        fixture.Client.GetGrain<IPositionGrain>(positionId).GetSnapshotAsync();
}
