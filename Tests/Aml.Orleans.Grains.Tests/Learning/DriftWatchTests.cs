using Aml.Orleans.Grains.Risk;
using Aml.Orleans.Risk;

namespace Aml.Orleans.Grains.Tests.Learning;

/// <summary>The drift watch's thresholds and the fallback's bounds, by hand.</summary>
public sealed class DriftWatchTests
{
    private static readonly RiskOptions Options = new() { DriftWindow = 50, DriftMargin = 0.10, DriftRecovery = 0.05 };

    [Fact]
    public void Observe_CoverageBelowTargetByMoreThanTheMargin_FallsBackAndReturnsOnlyWithinTheRecovery()
    {
        var watch = new DriftWatch(Options, 0.95);

        Assert.False(watch.Observe(true, 50, 43).Side.Fallback);                 // 86 %: within 10 points of 95 %
        Assert.Equal((true, true), (watch.Observe(true, 50, 42) is var trip ? (trip.Side.Fallback, trip.Changed) : default)); // 84 %
        Assert.False(watch.InFallback(false));
        Assert.True(watch.Observe(true, 50, 44).Side.Fallback);                  // 88 %: still below 90 %
        Assert.Equal((false, true), (watch.Observe(true, 50, 45) is var back ? (back.Side.Fallback, back.Changed) : default)); // 90 %
    }

    [Fact]
    public void Observe_FewerMaturedThanTheWindow_LeavesTheSideAsItIs()
    {
        var watch = new DriftWatch(Options, 0.95);

        Assert.False(watch.Observe(false, 10, 0).Side.Fallback);
        watch.Restore(longFallback: false, shortFallback: true);
        Assert.True(watch.Observe(false, 10, 10).Side.Fallback);
        Assert.Throws<ArgumentOutOfRangeException>(() => watch.Observe(true, 5, 6));
    }

    [Fact]
    public void Narrow_CalmAndStormyMarkets_VolatilityScaledCapAndWideMarginInsideTheBounds()
    {
        var bounds = new MarketBounds(100, 5_000, 50, 2_500, 100);
        var calm = Features(hourlyVolatility: 0.002);  // σ_day = 0.002·√24 ≈ 0.0098: cap 1 / (4·0.0098 + 0.05) ≈ 11.2x
        var storm = Features(hourlyVolatility: 0.02);  // σ_day ≈ 0.098: cap 1 / (0.39 + 0.05) ≈ 2.27x

        var calmBounds = ConservativePolicy.Narrow(bounds, calm);
        var stormBounds = ConservativePolicy.Narrow(bounds, storm);

        Assert.Equal(bounds with { MaxLeverageX100 = (uint)Math.Floor(100 / ((4 * 0.002 * Math.Sqrt(24)) + 0.05)), MinMaintenanceBps = 500 }, calmBounds);
        Assert.Equal((uint)Math.Floor(100 / ((4 * 0.02 * Math.Sqrt(24)) + 0.05)), stormBounds.MaxLeverageX100);
        // Never outside the market's bounds: a market capped at 2x keeps 2x, one whose margin tops out at 3 % keeps 3 %.
        Assert.Equal(200u, ConservativePolicy.Narrow(bounds with { MaxLeverageX100 = 200 }, calm).MaxLeverageX100);
        Assert.Equal(300u, ConservativePolicy.Narrow(bounds with { MaxMaintenanceBps = 300 }, calm).MinMaintenanceBps);
    }

    private static float[] Features(double hourlyVolatility)
    {
        var features = new float[FeatureWindow.MarketFeatureNames.Count];
        features[3] = (float)hourlyVolatility; // vol_24h, the normaliser
        return features;
    }
}
