namespace Aml.Orleans.Risk.Tests;

/// <summary>A pooled set on volatility-normalised features prices an asset it never saw, with bounds derived for it.</summary>
public sealed class PooledModelTests
{
    private static readonly DateTimeOffset TrainTo = new(2023, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Train_BtcAndEth_PricesDogeItNeverSawWithEachSideCovered()
    {
        var eth = CandleLoader.Load(RiskData.Path("ETHUSDT-1h.csv"));
        var doge = CandleLoader.Load(RiskData.Path("DOGEUSDT-1h.csv"));
        var pooled = RiskModelSet.Train([RiskData.Btc, eth], TrainTo.AddYears(-2), TrainTo, new RiskTrainingOptions { Trees = 30 });
        using var engine = new RiskEngine(pooled);

        var walked = WalkForward.Run(engine, doge, TrainTo, TrainTo.AddMonths(3));

        Assert.True(pooled.Manifest.Pooled && pooled.Manifest.Prices("DOGE-USD"));
        Assert.Equal(["BTC-USD", "ETH-USD"], pooled.Manifest.Assets);
        Assert.InRange(WalkForward.Coverage(walked, isLong: true), 0.93, 0.97);
        Assert.InRange(WalkForward.Coverage(walked, isLong: false), 0.93, 0.97);
        Assert.True(walked.Select(p => p.Output.MaxLeverageX100).Distinct().Count() > 50, "caps follow DOGE's own regime");
    }

    [Fact]
    public void Derive_Doge_BoundsFromItsOwnVolatilityBeforeAsOf()
    {
        var doge = CandleLoader.Load(RiskData.Path("DOGEUSDT-1h.csv"));
        var asOf = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var altered = doge with { Candles = [.. doge.Candles.Select(c => c.OpenTime >= asOf ? c with { High = c.High * 3 } : c)] };

        var bounds = MarketBounds.Derive(doge, asOf);

        Assert.Equal(bounds, MarketBounds.Derive(altered, asOf));
        Assert.InRange(bounds.MaxLeverageX100, 200u, 5_000u);
        Assert.InRange(bounds.LiquidationFeeBps, 100u, 500u);
        Assert.True(bounds.MinMaintenanceBps < bounds.MaxMaintenanceBps);
        Assert.True(MarketBounds.Derive(RiskData.Btc, asOf).MaxLeverageX100 > bounds.MaxLeverageX100, "calmer BTC gets more leverage than DOGE");
    }

    [Fact]
    public void Derive_TooLittleHistory_RefusedNamingTheAssetAndDate()
    {
        var doge = CandleLoader.Load(RiskData.Path("DOGEUSDT-1h.csv"));

        var error = Assert.Throws<ArgumentException>(() => MarketBounds.Derive(doge, doge.Candles[100].OpenTime));

        Assert.Contains("DOGE-USD", error.Message, StringComparison.Ordinal);
        Assert.Contains("30 days", error.Message, StringComparison.Ordinal);
    }
}
