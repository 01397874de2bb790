using Aml.Orleans.Risk;

namespace Aml.Orleans.Grains.Risk;

/// <summary>
/// The fallback a drifting side is priced by: the market's on-chain bounds narrowed to a volatility-scaled cap with a
/// wide margin, <c>cap = 1 / (k·σ_day + m)</c> with k = <see cref="VolatilityMultiple"/> (volscaled's default is 3) and
/// m = the larger of <see cref="MarginBps"/> and volscaled's 1 % + the liquidation fee; the maintenance margin is at least
/// m. The engine still prices inside these bounds, so a decision gets the lower of the model's cap and this one and the
/// higher of the two margins, and since the narrowed bounds are the bounds the decision records (its
/// <c>DecisionInputs.Bounds</c>), `aml verify` recomputes a fallback decision bit for bit like any other.
/// </summary>
public static class ConservativePolicy
{
    /// <summary>k of the fallback's <c>k·σ_day</c>.</summary>
    public const double VolatilityMultiple = 4;

    /// <summary>The fallback's least maintenance margin (5 %, twice the static tier's 2.5 %).</summary>
    public const uint MarginBps = 500;

    /// <summary><paramref name="bounds"/> narrowed to the fallback, never outside them.</summary>
    public static MarketBounds Narrow(MarketBounds bounds, float[] marketFeatures)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        ArgumentNullException.ThrowIfNull(marketFeatures);
        var marginBps = Math.Max(MarginBps, 100 + bounds.LiquidationFeeBps);
        var minMaintenance = Math.Clamp(marginBps, bounds.MinMaintenanceBps, bounds.MaxMaintenanceBps);
        var cap = 1 / ((VolatilityMultiple * ModelFeatures.Scale(marketFeatures, 24)) + (marginBps / 10_000.0));
        var maxLeverage = (uint)Math.Clamp(Math.Floor(cap * 100), bounds.MinLeverageX100, bounds.MaxLeverageX100);
        return bounds with { MaxLeverageX100 = maxLeverage, MinMaintenanceBps = minMaintenance };
    }
}
