using Microsoft.ML.Data;

namespace Aml.Orleans.Risk;

/// <summary>A row of the leverage and threshold models: market features and side; the label is a log excursion.</summary>
internal sealed class ExcursionRow
{
    public const int Width = 16;

    [VectorType(Width)]
    public float[] Features { get; set; } = [];

    public float Label { get; set; }
}

/// <summary>A row of the risk-score classifier: market, side, leverage and trader features; liquidated within 24 h.</summary>
internal sealed class RiskScoreRow
{
    public const int Width = 23;

    [VectorType(Width)]
    public float[] Features { get; set; } = [];

    public bool Label { get; set; }
}

/// <summary>
/// Samples for training and calibration, built with the same <see cref="FeatureWindow"/> the engine uses online.
/// A sample at candle close t is kept only when its whole label horizon is present, contiguous, and before
/// <c>to</c>, so nothing after the training window leaks into it.
/// </summary>
internal sealed class TrainingSet
{
    /// <summary>Leverage-model horizon (candles).</summary>
    public const int LongHorizon = 24;

    /// <summary>Threshold-model horizon: the liquidation execution window (candles).</summary>
    public const int ShortHorizon = 1;

    /// <summary>The maintenance margin assumed when labelling "liquidated within 24 h" for the risk score.</summary>
    public const double ReferenceMargin = 0.005;

    private static readonly double[] Leverages = [2, 3, 5, 10, 20, 30];

    public List<(DateTimeOffset Time, ExcursionRow Long, ExcursionRow Short)> Excursions { get; } = [];

    public List<(DateTimeOffset Time, ExcursionRow Row)> ShortExcursions { get; } = [];

    public List<(DateTimeOffset Time, RiskScoreRow Row)> RiskScores { get; } = [];

    public static TrainingSet Build(CandleSeries series, DateTimeOffset from, DateTimeOffset to, int seed)
    {
        var set = new TrainingSet();
        var random = new Random(seed);
        var candles = series.Candles;
        var window = new FeatureWindow();
        for (var t = 0; t < candles.Count; t++)
        {
            window.Add(candles[t]);
            var time = candles[t].OpenTime;
            if (time < from || t + LongHorizon >= candles.Count || candles[t + LongHorizon].OpenTime >= to ||
                candles[t + LongHorizon].OpenTime - time != series.Interval * LongHorizon || !window.TryGetMarketFeatures(out var market))
            {
                continue;
            }

            var longMae = Excursion(candles, t, LongHorizon, isLong: true);
            var shortMae = Excursion(candles, t, LongHorizon, isLong: false);
            set.Excursions.Add((time, Row(market, true, longMae), Row(market, false, shortMae)));
            set.ShortExcursions.Add((time, Row(market, true, Excursion(candles, t, ShortHorizon, isLong: true))));
            set.ShortExcursions.Add((time, Row(market, false, Excursion(candles, t, ShortHorizon, isLong: false))));

            // The risk score's position and trader inputs come from a simulated population (RISK.md): leverage is
            // drawn from a fixed menu, trader features from broad ranges; its label is what the market did.
            var isLong = random.Next(2) == 0;
            var leverage = Leverages[random.Next(Leverages.Length)];
            var trader = new TraderFeatures(random.Next(0, 200), random.NextDouble() * 0.3, 1 + (random.NextDouble() * 29),
                random.NextDouble() * 240, (random.NextDouble() * 2) - 1, random.NextDouble() * 20);
            var liquidated = (isLong ? longMae : shortMae) >= (1 / leverage) - ReferenceMargin;
            set.RiskScores.Add((time, new RiskScoreRow { Features = RiskFeatures(market, isLong, leverage, trader), Label = liquidated }));
        }

        return set;
    }

    public static float[] ExcursionFeatures(float[] market, bool isLong) => [.. market, isLong ? 1f : 0f];

    public static float[] RiskFeatures(float[] market, bool isLong, double leverage, TraderFeatures trader) =>
        [.. market, isLong ? 1f : 0f, (float)leverage, .. trader.ToVector()];

    /// <summary>The model's target: log of the excursion, floored so that a zero move stays finite.</summary>
    public static float LogExcursion(double mae) => (float)Math.Log(mae + ExcursionFloor);

    /// <summary>Back from the log scale.</summary>
    public static double FromLogExcursion(double value) => Math.Max(0, Math.Exp(value) - ExcursionFloor);

    private const double ExcursionFloor = 1e-4;

    private static ExcursionRow Row(float[] market, bool isLong, double mae) =>
        new() { Features = ExcursionFeatures(market, isLong), Label = LogExcursion(mae) };

    private static double Excursion(IReadOnlyList<Candle> candles, int t, int horizon, bool isLong)
    {
        Span<double> path = stackalloc double[horizon];
        for (var i = 0; i < horizon; i++)
        {
            path[i] = isLong ? candles[t + 1 + i].Low : candles[t + 1 + i].High;
        }

        return isLong ? MaxAdverseExcursion.Long(candles[t].Close, path) : MaxAdverseExcursion.Short(candles[t].Close, path);
    }
}
