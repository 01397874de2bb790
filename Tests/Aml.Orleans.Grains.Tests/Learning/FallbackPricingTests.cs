using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Risk;
using Aml.Orleans.Risk;

namespace Aml.Orleans.Grains.Tests.Learning;

/// <summary>
/// How the engine worker prices each side with the fallback flags its risk grain serves (<see cref="RiskFallback"/>),
/// on a real BTC set and real features: a side in fallback within the conservative policy's bounds, the other within the
/// market's, the batch path the same as one by one.
/// </summary>
public sealed class FallbackPricingTests
{
    private static readonly MarketBounds Market = new(100, 5_000, 50, 2_500, 100);

    private static readonly Lazy<RiskModelSet> Models = new(() => TestModels.TrainBtc(trees: 10));

    [Fact]
    public void Bounds_SideInFallback_NarrowedThere_TheOtherSideAndNoFallbackTheMarkets()
    {
        var features = MarketFeatures();

        Assert.Equal(Market, RiskPricing.Bounds(Market, RiskFallback.None, isLong: true, features));
        Assert.Equal(ConservativePolicy.Narrow(Market, features), RiskPricing.Bounds(Market, new RiskFallback(true, false), isLong: true, features));
        Assert.Equal(Market, RiskPricing.Bounds(Market, new RiskFallback(true, false), isLong: false, features));
        Assert.Equal(ConservativePolicy.Narrow(Market, features), RiskPricing.Bounds(Market, new RiskFallback(false, true), isLong: false, features));
    }

    [Fact]
    public void AssessBatch_LongsInFallback_EachSideAsAssessedAloneWithinItsOwnBounds()
    {
        using var engine = new RiskEngine(Models.Value);
        var features = MarketFeatures();
        RiskInput[] inputs = [Input(features, true, 20), Input(features, false, 20), Input(features, true, 3), Input(features, false, 3)];
        var longs = new RiskFallback(true, false);

        var batch = RiskPricing.AssessBatch(engine, inputs, Market, longs);

        var oneByOne = inputs.Select(i => engine.Assess(i, RiskPricing.Bounds(Market, longs, i.IsLong, i.MarketFeatures)));
        Assert.Equal(oneByOne, batch);
        var narrowed = ConservativePolicy.Narrow(Market, features);
        Assert.NotEqual(Market, narrowed); // the fallback narrows these features' bounds, so the longs are held to less
        Assert.All(batch.Where((_, i) => inputs[i].IsLong), o =>
            Assert.True(o.MaxLeverageX100 <= narrowed.MaxLeverageX100 && o.MaintenanceMarginBps >= narrowed.MinMaintenanceBps, $"{o} outside {narrowed}"));
        // Without the fallback the shorts are the same and the batch is the plain one.
        var plain = RiskPricing.AssessBatch(engine, inputs, Market, RiskFallback.None);
        Assert.Equal(engine.AssessBatch(inputs, Market), plain);
        Assert.Equal(plain.Where((_, i) => !inputs[i].IsLong), batch.Where((_, i) => !inputs[i].IsLong));
        Assert.NotEqual(plain[0], batch[0]); // and the 20x long is priced tighter than the model alone would
    }

    // The market features at the first candle after the set's training window that completes the warm-up.
    private static float[] MarketFeatures()
    {
        var window = new FeatureWindow();
        foreach (var candle in TestModels.Btc.Between(TestModels.TrainTo, TestModels.TrainTo.AddDays(30)))
        {
            window.Add(candle);
            if (window.TryGetMarketFeatures(out var values))
            {
                return values;
            }
        }

        throw new InvalidOperationException("thirty days of candles did not warm the feature window up");
    }

    private static RiskInput Input(float[] features, bool isLong, double leverage) =>
        new(features, isLong, leverage, 1e-6, TraderFeatures.Newcomer);
}
