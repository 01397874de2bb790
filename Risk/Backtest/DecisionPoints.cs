namespace Aml.Orleans.Risk.Backtest;

/// <summary>The hours of a window at which positions open, with what is known at each and the labels that follow.</summary>
public static class DecisionPoints
{
    private const int Horizon = TrainingSet.LongHorizon;
    private const int ReferenceHours = 720;
    private static readonly TimeSpan WarmUp = TimeSpan.FromDays(70);

    /// <summary>
    /// Every hourly close with decision time in <c>[from, to)</c> that has market features (past warm-up) and 24
    /// contiguous hours after it (a position's life, and its label). Features come from <see cref="FeatureWindow"/>, fed
    /// candle by candle, so they use that candle and earlier ones only.
    /// </summary>
    public static List<DecisionPoint> Build(MarketTape tape, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(tape);
        var candles = tape.Hourly;
        var window = new FeatureWindow();
        var weekVolatility = new Queue<double>();
        double weekSum = 0;
        var points = new List<DecisionPoint>();
        Span<double> lows = stackalloc double[Horizon];
        Span<double> highs = stackalloc double[Horizon];
        // Features read at most 721 candles back and the appetite's reference 720 hours of those: starting 70 days
        // early gives the same numbers as starting at the first candle, at a fraction of the work.
        var start = 0;
        while (start < candles.Count && candles[start].OpenTime < from - WarmUp)
        {
            start++;
        }

        for (var t = start; t < candles.Count; t++)
        {
            window.Add(candles[t]);
            var hasFeatures = window.TryGetMarketFeatures(out var features);
            var time = candles[t].OpenTime + TimeSpan.FromHours(1);
            var reference = weekVolatility.Count > 0 ? weekSum / weekVolatility.Count : double.NaN;
            if (hasFeatures && time >= from && time < to && tape.Contiguous(t, Horizon))
            {
                for (var i = 0; i < Horizon; i++)
                {
                    lows[i] = candles[t + 1 + i].Low;
                    highs[i] = candles[t + 1 + i].High;
                }

                points.Add(new DecisionPoint(
                    t, time, candles[t].Close, features, tape.DayVolatility(t), tape.QuoteVolume24h(t), TraderMix.Calm(features[4], reference),
                    MaxAdverseExcursion.Long(candles[t].Close, lows), MaxAdverseExcursion.Short(candles[t].Close, highs)));
            }

            // σ_ref: mean of the 7-day volatility over the 30 days up to this close (for the next hour's appetite).
            if (hasFeatures && float.IsFinite(features[4]))
            {
                weekVolatility.Enqueue(features[4]);
                weekSum += features[4];
                if (weekVolatility.Count > ReferenceHours)
                {
                    weekSum -= weekVolatility.Dequeue();
                }
            }
        }

        return points;
    }
}
