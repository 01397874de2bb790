using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Outcomes;
using Aml.Orleans.Risk;
using Npgsql;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>The outcome store over a real position's life: quote, open on the contract, the trader's close, the candles after.</summary>
[Collection(ChainClusterCollection.Name)]
public sealed class OutcomeStoreTests(ChainClusterFixture fixture)
{
    private const string Asset = "BTC-USD";
    private const long Collateral = 500_000_000; // 500 USDC
    private const long MarkE8 = 47_000_00000000;

    [Fact]
    public async Task PositionLife_OpenCloseAndTheHorizonsCandles_MaturedRowWithTheMaeComputedFromThoseCandles()
    {
        var market = fixture.Client.GetGrain<IMarketGrain>(Asset);
        await fixture.EnsureFeaturesAsync(Asset);
        await fixture.MoveMarketAsync(Asset, MarkE8);
        var trader = fixture.Chain.Signer(7);
        var positionId = ChainClusterFixture.NewPositionId();
        var position = fixture.Client.GetGrain<IPositionGrain>(positionId);
        var quote = await fixture.Client.GetGrain<IQuoteGrain>(0).QuoteAsync(positionId, new QuoteRequest(trader.Address.ToString(), Asset, true, Collateral, 300));
        Assert.True(quote.Accepted, quote.Reason);
        var opened = await position.OpenAsync(new OpenPositionCommand(quote.Decision!, quote.Digest!, Hex.Encode(trader.SignHash(Hex.Decode(quote.Digest!)).ToRsv()), quote.Inputs));
        Assert.True(opened.Accepted, opened.Reason);
        await ClusterFixture.EventuallyAsync(position.GetSnapshotAsync, s => s is { Status: PositionStatus.Open }, "open");
        await using var dataSource = NpgsqlDataSource.Create(fixture.Database.ConnectionString);
        var store = new OutcomeStoreTable(dataSource);

        var recorded = (await store.GetAsync(quote.Digest!))!;
        var decision = quote.Decision!;
        Assert.Equal((DecisionKind.Open, decision), (recorded.Kind, recorded.Decision));
        var inputs = recorded.Inputs!;
        Assert.Equal(decision.FeaturesHash, Hex.Encode(Keccak.Hash(inputs.FeatureBytes)));
        var t = inputs.TraderFeatures;
        var input = new RiskInput(inputs.MarketFeatures, inputs.IsLong, inputs.RequestedLeverage, inputs.NotionalToQuoteVolume,
            new TraderFeatures((int)t[0], t[1], t[2], t[3], t[4], t[5]));
        Assert.Equal(inputs.FeatureBytes, RiskEngine.FeatureBytes(input)); // the engine's own encoding, not a copy of it
        Assert.Equal((decision.MaxLeverageX100, decision.MaintenanceMarginBps, decision.RiskScoreBps), (inputs.MaxLeverageX100, inputs.MaintenanceMarginBps, inputs.RiskScoreBps));
        Assert.InRange(inputs.LeverageQuantile, 1e-4, 1);
        Assert.Null(recorded.FinalStatus);

        // The trader closes 1 % up: the final event settles the row.
        await fixture.WaitForChainClockAsync();
        await fixture.MoveMarketAsync(Asset, MarkE8 * 101 / 100);
        Assert.True((await fixture.CloseFromTheWalletAsync((await position.RequestCloseAsync()).Close!, 7)).Succeeded);
        await ClusterFixture.EventuallyAsync(position.GetSnapshotAsync, s => s is { Status: PositionStatus.Closed }, "closed");
        var settled = (await ClusterFixture.EventuallyAsync(() => store.GetAsync(quote.Digest!), r => r!.FinalStatus is not null, "settled"))!;
        Assert.Equal("CLOSED", settled.FinalStatus);
        Assert.True(settled.RealizedPnl > 0, $"a close 1 % up realizes a gain (got {settled.RealizedPnl})");
        Assert.Equal(0, settled.BadDebt);

        // The horizon's 24 hourly candles, lows chosen here; not matured until the last one has closed.
        var decidedAt = DateTimeOffset.FromUnixTimeSeconds((long)decision.PriceTimestamp);
        var start = new DateTimeOffset(decidedAt.Year, decidedAt.Month, decidedAt.Day, decidedAt.Hour, 0, 0, TimeSpan.Zero).AddHours(1);
        long[] dropsBps = [10, 40, 25, 80, 120, 60, 30, 0, 15, 210, 170, 90, 45, 20, 5, 0, 35, 75, 110, 65, 30, 10, 5, 0];
        var lows = dropsBps.Select(d => decision.MarkPriceE8 - (decision.MarkPriceE8 * d / 10_000)).ToArray();
        for (var i = 0; i < lows.Length; i++)
        {
            var open = decision.MarkPriceE8;
            Assert.True((await market.CloseCandleAsync(new MarketCandle(start.AddHours(i), open, open + 1_00000000, lows[i], open, 10, 470_000, null, null))).Accepted);
            if (i == lows.Length - 2)
            {
                await fixture.Client.GetGrain<IOutcomeGrain>(Asset).MatureAsync();
                Assert.Null((await store.GetAsync(quote.Digest!))!.MaturedAt); // 23 hours of 24: not yet
            }
        }

        await fixture.Client.GetGrain<IOutcomeGrain>(Asset).MatureAsync();

        var matured = (await store.GetAsync(quote.Digest!))!;
        var mae = 1 - ((double)lows.Min() / decision.MarkPriceE8); // 210 bps below the decision's price
        Assert.NotNull(matured.MaturedAt);
        Assert.Equal(mae, matured.Mae!.Value, 12);
        Assert.Equal(0.0210, matured.Mae!.Value, 9);
        Assert.Equal(mae <= inputs.LeverageQuantile, matured.Covered);
        Assert.False(matured.Liquidated);
        await fixture.Client.GetGrain<IOutcomeGrain>(Asset).MatureAsync();
        var again = (await store.GetAsync(quote.Digest!))!;
        Assert.Equal((matured.MaturedAt, matured.Mae, matured.Covered), (again.MaturedAt, again.Mae, again.Covered)); // matured once
    }
}
