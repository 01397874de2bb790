namespace Aml.Orleans.Risk.Tests;

public sealed class FeatureWindowTests
{
    [Fact]
    public void TryGetMarketFeatures_FutureCandlesChanged_FeaturesAtTUnchanged()
    {
        var candles = RiskData.Btc.Candles.Take(1_000).ToList();
        const int t = 800;
        var altered = candles.Select((c, i) => i > t ? c with { Close = c.Close * 0.5, Low = c.Low * 0.5, Open = c.Open * 0.5, High = c.High * 0.5, Volume = c.Volume * 9 } : c).ToList();

        var original = FeaturesAt(candles, t);
        var withOtherFuture = FeaturesAt(altered, t);

        Assert.Equal(original, withOtherFuture);
        Assert.NotEqual(FeaturesAt(candles, t + 1), FeaturesAt(altered, t + 1)); // the alteration is visible one step later
    }

    [Fact]
    public void TryGetMarketFeatures_DuringWarmUp_False()
    {
        var window = new FeatureWindow();
        foreach (var candle in RiskData.Btc.Candles.Take(FeatureWindow.WarmUp - 1))
        {
            window.Add(candle);
        }

        Assert.False(window.TryGetMarketFeatures(out _));
        window.Add(RiskData.Btc.Candles[FeatureWindow.WarmUp - 1]);
        Assert.True(window.TryGetMarketFeatures(out var features));
        Assert.Equal(FeatureWindow.MarketFeatureNames.Count, features.Length);
    }

    [Fact]
    public void TryGetMarketFeatures_EarlyRowsWithoutTradeCounts_MissingNotZero()
    {
        var window = new FeatureWindow();
        foreach (var candle in RiskData.Btc.Candles.Take(500))
        {
            window.Add(candle);
        }

        Assert.True(window.TryGetMarketFeatures(out var features));
        var trades = features[FeatureWindow.MarketFeatureNames.ToList().IndexOf("trades_z30d")];
        Assert.True(float.IsNaN(trades));
    }

    private static float[] FeaturesAt(IReadOnlyList<Candle> candles, int t)
    {
        var window = new FeatureWindow();
        for (var i = 0; i <= t; i++)
        {
            window.Add(candles[i]);
        }

        Assert.True(window.TryGetMarketFeatures(out var features));
        return features;
    }
}
