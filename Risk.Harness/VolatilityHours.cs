namespace Aml.Orleans.Risk.Harness;

/// <summary>
/// D4's inputs for every hour of an asset's hourly series, for the close of that hour: the realized σ of the 24 hours
/// after it (the target, known 24 h later) and the candidate regressors, each from that candle and earlier ones only.
/// An hour is usable when the 720 hours before it and the 24 after are contiguous (no gap inside a window).
/// </summary>
internal sealed class VolatilityHours
{
    /// <summary>Hours of history the regressors read (30 days).</summary>
    public const int History = 720;

    public const int Horizon = 24;

    /// <summary>Floor of every σ before its log: a flat hour (high = low) must not give −∞.</summary>
    private const double Floor = 1e-5;

    private VolatilityHours(int count) => (Usable, Target, Log) = (new bool[count], new double[count], new Dictionary<string, double[]>());

    /// <summary>Whether hour t has its history and its 24 h ahead.</summary>
    public bool[] Usable { get; }

    /// <summary>σ_next: √(mean of the 24 squared hourly log returns after the close of hour t) — D3's oracle's σ.</summary>
    public double[] Target { get; }

    /// <summary>Each regressor by name, per hour (logs of σ estimates, or the shocks and shares D4 names).</summary>
    public Dictionary<string, double[]> Log { get; }

    public double[] this[string name] => Log[name];

    public static VolatilityHours Build(IReadOnlyList<Candle> candles, Func<int, int, bool> contiguous)
    {
        var n = candles.Count;
        var hours = new VolatilityHours(n);
        var r = new double[n];
        for (var i = 1; i < n; i++)
        {
            r[i] = Math.Log(candles[i].Close / candles[i - 1].Close);
        }

        // Prefix sums make every window O(1): squared returns, returns, and the three range estimators per candle.
        var sq = Prefix(n, i => r[i] * r[i]);
        var sum = Prefix(n, i => r[i]);
        var parkinson = Prefix(n, i => Square(Math.Log(candles[i].High / candles[i].Low)) / (4 * Math.Log(2)));
        var garmanKlass = Prefix(n, i => (0.5 * Square(Math.Log(candles[i].High / candles[i].Low))) - (((2 * Math.Log(2)) - 1) * Square(Math.Log(candles[i].Close / candles[i].Open))));
        var rogersSatchell = Prefix(n, i =>
            (Math.Log(candles[i].High / candles[i].Close) * Math.Log(candles[i].High / candles[i].Open)) +
            (Math.Log(candles[i].Low / candles[i].Close) * Math.Log(candles[i].Low / candles[i].Open)));
        var quote = Prefix(n, i => candles[i].QuoteVolumeOrDerived);
        // A NaN would poison every later prefix: absent trade counts are summed as 0 and counted apart.
        var trades = Prefix(n, i => candles[i].Trades ?? 0);
        var tradesAbsent = Prefix(n, i => candles[i].Trades is null ? 1 : 0);
        double Mean(double[] prefix, int t, int count) => (prefix[t + 1] - prefix[t + 1 - count]) / count;
        double LogSigma(double variance) => Math.Log(Math.Sqrt(Math.Max(variance, Floor * Floor)));

        string[] names = ["s1", "s4", "s24", "s7d", "s30d", "pk24", "gk24", "rs24", "weekend", "quote_shock", "trade_shock", "trade_absent", "down24"];
        foreach (var name in names)
        {
            hours.Log[name] = new double[n];
        }

        for (var t = History; t < n - Horizon; t++)
        {
            if (!contiguous(t - History, History + Horizon))
            {
                continue;
            }

            hours.Usable[t] = true;
            hours.Target[t] = Math.Sqrt(Math.Max(Mean(sq, t + Horizon, Horizon), Floor * Floor));
            // σ_24h as the features compute it (sample standard deviation about the mean), the baseline's σ.
            var mean24 = Mean(sum, t, 24);
            var centred = ((sq[t + 1] - sq[t - 23]) - (24 * mean24 * mean24)) / 23;
            hours["s1"][t] = LogSigma(Mean(parkinson, t, 1));
            hours["s4"][t] = LogSigma(Mean(sq, t, 4));
            hours["s24"][t] = LogSigma(centred);
            hours["s7d"][t] = LogSigma(Mean(sq, t, 168));
            hours["s30d"][t] = LogSigma(Mean(sq, t, History));
            hours["pk24"][t] = LogSigma(Mean(parkinson, t, 24));
            hours["gk24"][t] = LogSigma(Mean(garmanKlass, t, 24));
            hours["rs24"][t] = LogSigma(Mean(rogersSatchell, t, 24));
            var weekend = 0;
            for (var j = 1; j <= Horizon; j++)
            {
                weekend += candles[t + j].OpenTime.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 1 : 0;
            }

            hours["weekend"][t] = weekend / (double)Horizon;
            hours["quote_shock"][t] = Math.Log(Math.Max(Mean(quote, t, 24), 1) / Math.Max(Mean(quote, t, History), 1));
            var tradeShock = Mean(tradesAbsent, t, History) == 0 ? Math.Log(Mean(trades, t, 24) / Mean(trades, t, History)) : double.NaN;
            (hours["trade_shock"][t], hours["trade_absent"][t]) = double.IsFinite(tradeShock) ? (tradeShock, 0) : (0, 1);
            hours["down24"][t] = Math.Min(Math.Log(candles[t].Close / candles[t - 24].Close), 0) / Math.Exp(hours["s24"][t]);
        }

        return hours;
    }

    /// <summary>
    /// Adds another asset's σ at the same close as regressors "x_…" (cross-asset stress: alts move with BTC), NaN where
    /// that asset has no usable hour at this close.
    /// </summary>
    public void AddCrossAsset(IReadOnlyList<Candle> own, VolatilityHours other, IReadOnlyList<Candle> otherCandles)
    {
        var index = new Dictionary<DateTimeOffset, int>();
        for (var i = 0; i < otherCandles.Count; i++)
        {
            index[otherCandles[i].OpenTime] = i;
        }

        foreach (var name in CrossNames)
        {
            var values = Enumerable.Repeat(double.NaN, own.Count).ToArray();
            for (var t = 0; t < own.Count; t++)
            {
                if (index.TryGetValue(own[t].OpenTime, out var o) && other.Usable[o])
                {
                    values[t] = other[name][o];
                }
            }

            Log["x_" + name] = values;
        }
    }

    /// <summary>The other asset's regressors that <see cref="AddCrossAsset"/> adds.</summary>
    public static IReadOnlyList<string> CrossNames { get; } = ["s1", "s4", "s24", "s7d", "quote_shock"];

    private static double Square(double x) => x * x;

    private static double[] Prefix(int n, Func<int, double> value)
    {
        var prefix = new double[n + 1];
        for (var i = 0; i < n; i++)
        {
            prefix[i + 1] = prefix[i] + (i == 0 ? 0 : value(i));
        }

        return prefix;
    }
}
