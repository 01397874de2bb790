using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Risk;

namespace Aml.Orleans.Grains.Risk;

/// <summary>
/// How a request becomes the engine's input and its output an assessment: the market's features and latest price, the
/// trader's profile, the market's on-chain bounds. Pure: the engine worker hands in what it read.
/// </summary>
internal static class RiskPricing
{
    /// <summary>The bounds every answer for <paramref name="terms"/>' market is clamped to (the contract's <c>MarketConfig</c>).</summary>
    public static MarketBounds Bounds(MarketTerms terms) =>
        new(100, terms.MaxLeverageX100, terms.MinMaintenanceMarginBps, terms.MaxMaintenanceMarginBps, terms.LiquidationPenaltyBps);

    /// <summary>
    /// The bounds a decision on <paramref name="isLong"/>'s side is priced within: the market's, or, while the drift watch
    /// has the side in <paramref name="fallback"/>, the conservative policy's inside them (recorded as the decision's bounds,
    /// so a fallback decision recomputes like any other).
    /// </summary>
    public static MarketBounds Bounds(MarketBounds market, RiskFallback fallback, bool isLong, float[] marketFeatures)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        return fallback.Side(isLong) ? ConservativePolicy.Narrow(market, marketFeatures) : market;
    }

    /// <summary>
    /// One market's inputs scored over the compiled trees in input order, each side within its own bounds (see
    /// <see cref="Bounds(MarketBounds, RiskFallback, bool, float[])"/>): one batch when neither side is in fallback, one a side when either is.
    /// </summary>
    public static RiskOutput[] AssessBatch(RiskEngine engine, RiskInput[] inputs, MarketBounds market, RiskFallback fallback)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(fallback);
        if (!fallback.Any || inputs.Length == 0)
        {
            return engine.AssessBatch(inputs, market);
        }

        // One market, so one feature vector: each side's bounds are the same for all its inputs.
        var outputs = new RiskOutput[inputs.Length];
        foreach (var isLong in (bool[])[true, false])
        {
            var at = Enumerable.Range(0, inputs.Length).Where(i => inputs[i].IsLong == isLong).ToArray();
            if (at.Length == 0)
            {
                continue;
            }

            var side = engine.AssessBatch([.. at.Select(i => inputs[i])], Bounds(market, fallback, isLong, inputs[at[0]].MarketFeatures));
            for (var k = 0; k < at.Length; k++)
            {
                outputs[at[k]] = side[k];
            }
        }

        return outputs;
    }

    /// <summary>The engine's input for <paramref name="request"/> at <paramref name="features"/>.</summary>
    public static RiskInput Input(MarketFeatures features, RiskRequest request)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(request);
        var notionalUsd = Units.UsdcOf(request.Collateral) * Units.Leverage(request.RequestedLeverageX100);
        var profile = request.Trader;
        return new RiskInput(
            [.. features.Values], request.IsLong, Units.Leverage(request.RequestedLeverageX100), notionalUsd / Math.Max(features.QuoteVolume24h, 1),
            new TraderFeatures(profile.PositionsOpened, profile.SmoothedLiquidationRate, profile.MeanLeverage, profile.MeanHoldingHours,
                profile.RecentPnl / (double)Math.Max(request.Collateral, 1), profile.ActivityPerDay));
    }

    /// <summary>Everything <paramref name="output"/> was computed from, for the outcome store (about 0.3 KB).</summary>
    public static DecisionInputs Inputs(RiskInput input, MarketBounds bounds, RiskOutput output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(bounds);
        ArgumentNullException.ThrowIfNull(output);
        var t = input.Trader;
        return new DecisionInputs(
            output.FeaturesHash, output.ModelHash, RiskEngine.FeatureBytes(input), input.MarketFeatures, input.IsLong, input.RequestedLeverage,
            input.NotionalToQuoteVolume, [t.PositionsOpened, t.SmoothedLiquidationRate, t.MeanLeverage, t.MeanHoldingHours, t.RecentPnlFraction, t.ActivityPerDay],
            [bounds.MinLeverageX100, bounds.MaxLeverageX100, bounds.MinMaintenanceBps, bounds.MaxMaintenanceBps, bounds.LiquidationFeeBps],
            output.LeverageAlpha, output.LeverageQuantile, output.MaxLeverageX100, output.MaintenanceMarginBps, output.RiskScoreBps);
    }

    /// <summary>
    /// The assessment of <paramref name="output"/>, marked at the market's latest price when it has one (else the last
    /// candle's close, at the candle's time): the price an OPEN or ADJUST carries.
    /// </summary>
    public static RiskAssessment Assessment(
        RiskOutput output, MarketFeatures features, (long PriceE8, DateTimeOffset At) latest, RiskExplanation explanation, DecisionInputs? inputs)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(features);
        var (markE8, at) = latest.PriceE8 > 0
            ? latest
            : (features.LastPriceE8, features.LastTickAt == default ? features.AsOf : features.LastTickAt);
        return new RiskAssessment(
            output.MaxLeverageX100, output.MaintenanceMarginBps, output.RiskScoreBps, output.ModelHash, output.FeaturesHash, markE8, at, explanation, inputs);
    }
}
