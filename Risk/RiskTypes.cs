namespace Aml.Orleans.Risk;

/// <summary>
/// A trader's behaviour as the risk score reads it. Until real history exists, training uses a simulated population
/// (<see cref="TrainingSet"/>): the score's dependence on these inputs is then only what that simulation implies.
/// </summary>
public sealed record TraderFeatures(
    int PositionsOpened,
    double SmoothedLiquidationRate,
    double MeanLeverage,
    double MeanHoldingHours,
    double RecentPnlFraction,
    double ActivityPerDay)
{
    /// <summary>A trader with no history: the population prior.</summary>
    public static TraderFeatures Newcomer { get; } = new(0, 0.05, 0, 0, 0, 0);

    /// <summary>Names, in vector order.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["positions_opened", "smoothed_liquidation_rate", "mean_leverage", "mean_holding_hours", "recent_pnl_fraction", "activity_per_day"];

    internal float[] ToVector() =>
        [PositionsOpened, (float)SmoothedLiquidationRate, (float)MeanLeverage, (float)MeanHoldingHours, (float)RecentPnlFraction, (float)ActivityPerDay];
}

/// <summary>What the engine is asked about: the market's features now, the position, the trader.</summary>
public sealed record RiskInput(
    float[] MarketFeatures,
    bool IsLong,
    double RequestedLeverage,
    double NotionalToQuoteVolume,
    TraderFeatures Trader);

/// <summary>The on-chain bounds of a market (the contract's <c>MarketConfig</c>) every answer is clamped to.</summary>
public sealed partial record MarketBounds(
    uint MinLeverageX100,
    uint MaxLeverageX100,
    uint MinMaintenanceBps,
    uint MaxMaintenanceBps,
    uint LiquidationFeeBps);

/// <summary>
/// The three numbers (integers: leverage ×100, bps) and what it takes to recompute them: the model hash, the features
/// hash, and the calibration state the engine was in — the α of the leverage quantile on the position's side, which
/// adaptive conformal inference moves as labels mature (<see cref="RiskEngine.Observe"/>). <c>LeverageQuantile</c> is
/// the calibrated 24 h excursion quantile (a fraction of the entry price) behind the cap: the prediction a matured
/// outcome's max adverse excursion is held against.
/// </summary>
public sealed record RiskOutput(
    uint MaxLeverageX100, uint MaintenanceMarginBps, ushort RiskScoreBps, string ModelHash, string FeaturesHash, double LeverageAlpha, double LeverageQuantile);

/// <summary>One input's contribution to one model's output.</summary>
public sealed record Contribution(string Model, string Feature, float Value, float Amount);
