namespace Aml.Orleans.Risk;

/// <summary>
/// The models' inputs, derived from <see cref="FeatureWindow"/>'s market features: every return, range and drawdown
/// divided by the matching realized volatility, so the numbers mean the same on BTC and on DOGE and one pooled model
/// serves assets it never saw. Nothing asset-specific (price level, dollar volume, Amihud's dollar scale) enters.
/// The excursion labels are normalised the same way (<see cref="Scale"/>), so a tree's leaf is "so many day-vols".
/// </summary>
public static class ModelFeatures
{
    /// <summary>Positions of the raw market features this reads (FeatureWindow.MarketFeatureNames order).</summary>
    private const int Ret1h = 0, Ret4h = 1, Ret24h = 2, Vol24h = 3, Vol7d = 4, Parkinson = 5, VolRatio = 6, Drawdown24h = 7,
        Drawdown7d = 8, VolumeZ = 9, TradesZ = 10, TakerBuy = 11, Hour = 13, DayOfWeek = 14;

    /// <summary>Smallest hourly volatility used as a divisor (a frozen market would otherwise divide by zero).</summary>
    public const double VolatilityFloor = 1e-4;

    /// <summary>Names of the leverage and threshold models' inputs, in vector order.</summary>
    public static IReadOnlyList<string> ExcursionNames { get; } =
    [
        "ret_1h_per_vol", "ret_4h_per_vol", "ret_24h_per_vol", "parkinson_per_vol", "vol_ratio_24h_7d", "drawdown_24h_per_vol",
        "drawdown_7d_per_vol", "log_quote_volume_z30d", "trades_z30d", "taker_buy_ratio_24h", "hour_of_day", "day_of_week", "is_long",
    ];

    /// <summary>Names of the risk-score model's inputs: the excursion inputs, then the position's own terms.</summary>
    public static IReadOnlyList<string> RiskNames { get; } =
        [.. ExcursionNames, "distance_per_day_vol", "leverage", "maintenance_margin"];

    /// <summary>The hourly realized volatility (24 h) the normalisation divides by, floored.</summary>
    public static double HourlyVolatility(float[] market) =>
        float.IsFinite(market[Vol24h]) ? Math.Max(market[Vol24h], VolatilityFloor) : VolatilityFloor;

    /// <summary>The scale of an excursion over <paramref name="hours"/>: σ_hour·√hours.</summary>
    public static double Scale(float[] market, int hours) => HourlyVolatility(market) * Math.Sqrt(hours);

    /// <summary>The leverage and threshold models' input vector.</summary>
    public static float[] Excursion(float[] market, bool isLong)
    {
        var features = new float[ExcursionNames.Count];
        Fill(market, isLong, features);
        return features;
    }

    /// <summary>
    /// The risk score's input vector: the market as above, and the position's distance to liquidation
    /// (<c>1/L - mm</c>) in day-vols, its leverage and its maintenance margin.
    /// </summary>
    public static float[] Risk(float[] market, bool isLong, double leverage, double maintenanceMargin)
    {
        var features = new float[RiskNames.Count];
        Fill(market, isLong, features);
        var n = ExcursionNames.Count;
        features[n] = (float)(((1 / leverage) - maintenanceMargin) / Scale(market, 24));
        features[n + 1] = (float)leverage;
        features[n + 2] = (float)maintenanceMargin;
        return features;
    }

    private static void Fill(float[] market, bool isLong, float[] features)
    {
        var hour = HourlyVolatility(market);
        var week = float.IsFinite(market[Vol7d]) ? Math.Max(market[Vol7d], VolatilityFloor) : double.NaN;
        features[0] = (float)(market[Ret1h] / hour);
        features[1] = (float)(market[Ret4h] / (hour * 2));
        features[2] = (float)(market[Ret24h] / (hour * Math.Sqrt(24)));
        features[3] = (float)(market[Parkinson] / hour);
        features[4] = market[VolRatio];
        features[5] = (float)(market[Drawdown24h] / (hour * Math.Sqrt(24)));
        features[6] = (float)(market[Drawdown7d] / (week * Math.Sqrt(168)));
        features[7] = market[VolumeZ];
        features[8] = market[TradesZ];
        features[9] = market[TakerBuy];
        features[10] = market[Hour];
        features[11] = market[DayOfWeek];
        features[12] = isLong ? 1f : 0f;
    }
}
