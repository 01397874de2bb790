using Aml.Orleans.Grains.Interfaces;

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
    public async Task WatchAsync_BandAlreadyCrossedAtTheLastPrice_WokenAtOnceNotKept()
    {
        var market = NewMarket();
        var now = fixture.Time.GetUtcNow();
        await market.SubmitTickAsync(new MarketTick(100 * Chain.Dollar, now));

        await market.WatchAsync(Chain.NewPositionId(), [new PriceBand(BandDirection.Falling, 101 * Chain.Dollar)]);
        await market.WatchAsync(Chain.NewPositionId(), [new PriceBand(BandDirection.Falling, 99 * Chain.Dollar)]);

        var snapshot = await market.GetSnapshotAsync();
        Assert.Equal(1, snapshot.WatchedPositions); // the crossed one was woken instead of waiting for a crossing that may never come
        Assert.Equal(1, snapshot.Bands);
    }

    [Fact]
    public async Task SubmitTickAsync_PricePathCrossingBands_WakesExactlyThePositionsCrossed()
    {
        var asset = Chain.NewAsset();
        var market = fixture.Client.GetGrain<IMarketGrain>(asset);
        var now = fixture.Time.GetUtcNow();
        await market.SubmitTickAsync(new MarketTick(100 * Chain.Dollar, now));

        // 10x positions with 5 % maintenance: liquidation ~5 % away, the warning (1.5x requirement) ~2.5 % away.
        var long10 = Chain.NewPositionId();
        var long5 = Chain.NewPositionId();
        var short10 = Chain.NewPositionId();
        await Open(long10, asset, isLong: true, leverageX100: 1_000);
        await Open(long5, asset, isLong: true, leverageX100: 500);
        await Open(short10, asset, isLong: false, leverageX100: 1_000);
        Assert.Equal(3, (await market.GetSnapshotAsync()).WatchedPositions);

        // 97.4: past the 10x long's warning (97.5), not the 5x long's (92.5), and away from the short.
        var outcome = await market.SubmitTickAsync(new MarketTick(9_740_000_000, now.AddSeconds(1)));
        Assert.Equal(1, outcome.PositionsWoken);
        await ClusterFixture.EventuallyAsync(() => Snapshot(long10), s => s?.Suggestion == Suggestion.AddCollateral, "long10 warned");
        Assert.Equal(Suggestion.None, (await Snapshot(long5))!.Suggestion);
        Assert.Equal(Suggestion.None, (await Snapshot(short10))!.Suggestion);

        // A burst of ticks in the same zone wakes nobody again: the crossed band was consumed and replaced.
        await ClusterFixture.EventuallyAsync(() => market.GetSnapshotAsync(), s => s.Bands == 6, "long10 re-registered");
        Assert.Equal(0, (await market.SubmitTickAsync(new MarketTick(9_735_000_000, now.AddSeconds(2)))).PositionsWoken);

        // Back up to 102.6: the 10x long recovers (its recovery band) and the short crosses its warning (102.5).
        outcome = await market.SubmitTickAsync(new MarketTick(10_260_000_000, now.AddSeconds(3)));
        Assert.Equal(2, outcome.PositionsWoken);
        await ClusterFixture.EventuallyAsync(() => Snapshot(short10), s => s?.Suggestion == Suggestion.AddCollateral, "short warned");
        await ClusterFixture.EventuallyAsync(() => Snapshot(long10), s => s?.Suggestion == Suggestion.None, "long recovered");
        Assert.Equal(Suggestion.None, (await Snapshot(long5))!.Suggestion);
    }

    private Task Open(string positionId, string asset, bool isLong, long leverageX100) =>
        fixture.Client.GetGrain<IPositionGrain>(positionId)
            .ApplyChainEventAsync(Chain.Opened(positionId, asset, isLong, 1_000 * Chain.Usdc, leverageX100, 100 * Chain.Dollar, 500));

    private Task<PositionSnapshot?> Snapshot(string positionId) =>
        fixture.Client.GetGrain<IPositionGrain>(positionId).GetSnapshotAsync();
}
