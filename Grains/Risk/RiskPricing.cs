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
