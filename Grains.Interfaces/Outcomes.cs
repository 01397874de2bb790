namespace Aml.Orleans.Grains.Interfaces;

/// <summary>
/// Everything a risk decision was computed from, exactly: the canonical feature bytes (keccak256 = featuresHash), the
/// engine's input in full precision (the bytes hold float32; the engine computes in double), the bounds it was clamped
/// to and the calibration α it used, and what it predicted. With the model set of <paramref name="ModelHash"/> these
/// recompute the decision's three numbers bit for bit.
/// </summary>
/// <param name="TraderFeatures">The trader features in <c>TraderFeatures.Names</c> order (the count is exact in a double).</param>
/// <param name="Bounds">The market's bounds: min and max leverage ×100, min and max maintenance bps, liquidation fee bps.</param>
/// <param name="LeverageQuantile">The calibrated 24 h adverse-excursion quantile behind the cap, a fraction of price.</param>
[GenerateSerializer, Immutable, Alias("aml.DecisionInputs")]
public sealed record DecisionInputs(
    string FeaturesHash,
    string ModelHash,
    byte[] FeatureBytes,
    float[] MarketFeatures,
    bool IsLong,
    double RequestedLeverage,
    double NotionalToQuoteVolume,
    double[] TraderFeatures,
    uint[] Bounds,
    double LeverageAlpha,
    double LeverageQuantile,
    uint MaxLeverageX100,
    uint MaintenanceMarginBps,
    ushort RiskScoreBps);

/// <summary>One asset's outcome maturing (key: <see cref="AssetSymbol"/>): joins decisions with the candles that followed.</summary>
[Alias("aml.IOutcomeGrain")]
public interface IOutcomeGrain : IGrainWithStringKey
{
    /// <summary>
    /// Matures every recorded decision of the asset whose horizon the market's closed candles now cover: the max adverse
    /// excursion over the horizon, and whether the position was liquidated within it. Returns how many matured.
    /// </summary>
    Task<int> MatureAsync();

    /// <summary>Starts the hourly maturing reminder.</summary>
    Task EnsureScheduledAsync();
}
