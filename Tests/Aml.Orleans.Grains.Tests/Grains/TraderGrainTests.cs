using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Tests.Grains;

[Collection(ClusterCollection.Name)]
public sealed class TraderGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task GetProfileAsync_NewTrader_PopulationPriorRate()
    {
        var profile = await fixture.Client.GetGrain<ITraderGrain>(Chain.NewPositionId()).GetProfileAsync();
        Assert.Equal(0, profile.PositionsOpened);
        Assert.Equal(0.05, profile.SmoothedLiquidationRate, 12);
    }

    [Fact]
    public async Task RecordOpenAsync_SamePositionTwice_CountedOnce()
    {
        var trader = fixture.Client.GetGrain<ITraderGrain>(Chain.NewPositionId());
        var opened = fixture.Time.GetUtcNow();
        await trader.RecordOpenAsync("0xa", 10, opened);
        await trader.RecordOpenAsync("0xa", 10, opened);
        await trader.RecordOpenAsync("0xb", 20, opened);

        var profile = await trader.GetProfileAsync();
        Assert.Equal(2, profile.PositionsOpened);
        Assert.Equal(15, profile.MeanLeverage, 12);
        Assert.Equal(["0xb", "0xa"], await trader.ListPositionsAsync());
    }

    [Fact]
    public async Task RecordOutcomeAsync_TwoLiquidationsOfTwo_RateMovesFromPriorTowardRecord()
    {
        var trader = fixture.Client.GetGrain<ITraderGrain>(Chain.NewPositionId());
        var closedAt = fixture.Time.GetUtcNow();
        await trader.RecordOutcomeAsync(new PositionOutcome("0xa", true, -100, 10, TimeSpan.FromHours(2), closedAt));
        await trader.RecordOutcomeAsync(new PositionOutcome("0xb", true, -50, 10, TimeSpan.FromHours(4), closedAt));
        await trader.RecordOutcomeAsync(new PositionOutcome("0xb", true, -50, 10, TimeSpan.FromHours(4), closedAt)); // redelivered

        var profile = await trader.GetProfileAsync();
        Assert.Equal(2, profile.Liquidations);
        Assert.Equal((2 + 0.5) / 12, profile.SmoothedLiquidationRate, 12); // (2 + 0.05·10) / (2 + 10)
        Assert.Equal(3, profile.MeanHoldingHours, 12);
        Assert.Equal(-150, profile.RecentPnl);
    }
}
