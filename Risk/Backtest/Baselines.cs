namespace Aml.Orleans.Risk.Backtest;

/// <summary>The policies compared side by side (RISK.md).</summary>
public enum Policy
{
    /// <summary>Fixed tiers as exchanges publish them: 20x cap, 2.5 % maintenance; the knob scales the cap.</summary>
    Static,

    /// <summary>The non-ML heuristic: cap = 1 / (k σ_day + m), m = 1 % + penalty; k = 3, swept.</summary>
    VolScaled,

    /// <summary>The FastTree models through <see cref="AmlPolicy"/>.</summary>
    Aml,
}

/// <summary>The two baselines, defined exactly (RISK.md) so they stay honest, with their knobs.</summary>
public static class Baselines
{
    /// <summary>The static tier's cap and maintenance.</summary>
    public const double StaticCap = 20, StaticMargin = 0.025;

    /// <summary>volscaled's default multiplier.</summary>
    public const double DefaultK = 3;

    /// <summary>Static's cap scales swept (5x..30x).</summary>
    public static IReadOnlyList<double> StaticScales { get; } = [0.25, 0.5, 0.75, 1, 1.25, 1.5];

    /// <summary>volscaled's k swept.</summary>
    public static IReadOnlyList<double> VolScaledKs { get; } = [1, 1.5, 2, 3, 4, 6, 8];

    /// <summary>Static at cap scale <paramref name="scale"/>.</summary>
    public static Terms Static(double scale, MarketBounds bounds) => Clamp(StaticCap * scale, StaticMargin, bounds);

    /// <summary>volscaled at <paramref name="k"/>: σ_day = √24 × the 24 h realized volatility of hourly log returns (feature 3).</summary>
    public static Terms VolScaled(double k, float[] features, MarketBounds bounds)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(bounds);
        var dayVolatility = (float.IsFinite(features[3]) ? features[3] : 0.01) * Math.Sqrt(24);
        var margin = 0.01 + (bounds.LiquidationFeeBps / 10_000.0);
        return Clamp(1 / ((k * dayVolatility) + margin), margin, bounds);
    }

    /// <summary>Clamped to the market's on-chain bounds, as integers (leverage ×100, bps) the way the contract holds them.</summary>
    public static Terms Clamp(double cap, double margin, MarketBounds bounds)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        var marginBps = Math.Clamp(Math.Ceiling(margin * 10_000), bounds.MinMaintenanceBps, bounds.MaxMaintenanceBps);
        var capX100 = Math.Clamp(Math.Floor(cap * 100), bounds.MinLeverageX100, bounds.MaxLeverageX100);
        return new Terms(capX100 / 100, marginBps / 10_000);
    }
}
