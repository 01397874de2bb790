using Microsoft.ML.Data;

namespace Aml.Orleans.Risk;

/// <summary>A row of the leverage, threshold and scale models: normalised market features and side; a normalised label.</summary>
internal sealed class ExcursionRow
{
    public const int Width = 13;

    [VectorType(Width)]
    public float[] Features { get; set; } = [];

    public float Label { get; set; }
}

/// <summary>A row of the risk-score classifier: market, side, leverage, margin; liquidated within 24 h.</summary>
internal sealed class RiskScoreRow
{
    public const int Width = 16;

    [VectorType(Width)]
    public float[] Features { get; set; } = [];

    public bool Label { get; set; }
}

/// <summary>One hour of one asset: market features at its close and what the market did afterwards, per side.</summary>
internal sealed record Sample(
    DateTimeOffset Time, string Asset, float[] Market, double LongMae, double ShortMae, double LongExecution, double ShortExecution)
{
    public double Mae(bool isLong) => isLong ? LongMae : ShortMae;

    public double Execution(bool isLong) => isLong ? LongExecution : ShortExecution;
}

/// <summary>A drawn position for the risk score: side, leverage, maintenance margin, and whether 24 h liquidated it.</summary>
internal sealed record RiskSample(DateTimeOffset Time, RiskScoreRow Row);

/// <summary>
/// Samples for training and calibration, built with the same <see cref="FeatureWindow"/> the engine uses online.
/// A sample at candle close t is kept only when its whole label horizon is present, contiguous, and before
/// <c>to</c> (the label has matured by then), so nothing at or after <c>to</c> leaks into it.
/// </summary>
internal static class TrainingSet
{
    /// <summary>Leverage-model horizon (candles).</summary>
    public const int LongHorizon = 24;

    /// <summary>
    /// Threshold-model horizon: the liquidation execution window on hourly data — the rest of the triggering bar and
    /// the next bar (RISK.md's fill rule), so two bars from the close before the trigger.
    /// </summary>
    public const int ShortHorizon = 2;

    /// <summary>The samples of each series, merged in time order (ties in the order the series were given).</summary>
    public static List<Sample> Build(IReadOnlyList<CandleSeries> series, DateTimeOffset from, DateTimeOffset to) =>
        [.. series.SelectMany((s, i) => Build(s, from, to).Select(x => (x, i))).OrderBy(p => p.x.Time).ThenBy(p => p.i).Select(p => p.x)];

    public static List<Sample> Build(CandleSeries series, DateTimeOffset from, DateTimeOffset to)
    {
        var samples = new List<Sample>();
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

            samples.Add(new Sample(time, series.Asset, market,
                Excursion(candles, t, LongHorizon, isLong: true), Excursion(candles, t, LongHorizon, isLong: false),
                Excursion(candles, t, ShortHorizon, isLong: true), Excursion(candles, t, ShortHorizon, isLong: false)));
        }

        return samples;
    }

    /// <summary>
    /// Positions for the risk score, one per side and hour: leverage log-uniform in [1.5, 50], maintenance margin
    /// uniform in [0.5 %, 5 %] (a fixed seed), redrawn until the liquidation distance <c>1/L - mm</c> is positive. The
    /// label is what the market did to exactly that position: its 24 h adverse excursion reached <c>1/L - mm</c>.
    /// No trader features: there are no real trader outcomes yet (see Risk/README.md, "Models").
    /// </summary>
    public static List<RiskSample> RiskSamples(IReadOnlyList<Sample> samples, int seed)
    {
        var random = new Random(seed);
        var rows = new List<RiskSample>(samples.Count * 2);
        foreach (var sample in samples)
        {
            foreach (var isLong in (bool[])[true, false])
            {
                double leverage, margin;
                do
                {
                    leverage = Math.Exp(Math.Log(1.5) + (random.NextDouble() * Math.Log(50 / 1.5)));
                    margin = 0.005 + (random.NextDouble() * 0.045);
                }
                while ((1 / leverage) - margin <= 0.001);

                var liquidated = sample.Mae(isLong) >= (1 / leverage) - margin;
                rows.Add(new RiskSample(sample.Time, new RiskScoreRow { Features = ModelFeatures.Risk(sample.Market, isLong, leverage, margin), Label = liquidated }));
            }
        }

        return rows;
    }

    /// <summary>The excursion models' target: log of the excursion in units of its horizon's volatility.</summary>
    public static float NormalisedLogExcursion(double mae, double scale) => (float)Math.Log((mae + ExcursionFloor) / scale);

    /// <summary>Back from the normalised log scale.</summary>
    public static double FromNormalisedLog(double value, double scale) => Math.Max(0, (Math.Exp(value) * scale) - ExcursionFloor);

    private const double ExcursionFloor = 1e-4;

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
