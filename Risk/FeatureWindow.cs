namespace Aml.Orleans.Risk;

/// <summary>
/// Market features of RISK.md at the close of the newest candle, from that candle and earlier ones only (no
/// look-ahead by construction: nothing later has been added). Fed candle by candle, online by the market grain and
/// offline by the training set builder, so both compute the very same numbers. Hourly candles are assumed.
/// Absent inputs (trade counts, taker volume on old rows) give NaN: ML.NET's missing value, never an invented zero.
/// </summary>
public sealed class FeatureWindow
{
    /// <summary>Candles needed before features exist: seven days plus one for the first return.</summary>
    public const int WarmUp = 169;

    /// <summary>Thirty days of hours for the volume and trade-count z-scores.</summary>
    private const int ZWindow = 720;

    private readonly List<Candle> _candles = [];

    /// <summary>Names of the market features, in vector order.</summary>
    public static IReadOnlyList<string> MarketFeatureNames { get; } =
    [
        "ret_1h", "ret_4h", "ret_24h", "vol_24h", "vol_7d", "parkinson_24h", "vol_ratio_24h_7d", "drawdown_24h", "drawdown_7d",
        "log_quote_volume_z30d", "trades_z30d", "taker_buy_ratio_24h", "amihud_24h", "hour_of_day", "day_of_week",
    ];

    /// <summary>The newest candle, if any.</summary>
    public Candle? Last => _candles.Count == 0 ? null : _candles[^1];

    /// <summary>Candles held.</summary>
    public int Count => _candles.Count;

    /// <summary>Adds the next closed candle; it must be newer than the last.</summary>
    public void Add(Candle candle)
    {
        if (_candles.Count > 0 && candle.OpenTime <= _candles[^1].OpenTime)
        {
            throw new ArgumentException($"candle at {candle.OpenTime:O} is not after {_candles[^1].OpenTime:O}", nameof(candle));
        }

        _candles.Add(candle);
        if (_candles.Count > ZWindow + 1)
        {
            _candles.RemoveRange(0, _candles.Count - (ZWindow + 1));
        }
    }

    /// <summary>Quote volume of the last 24 candles (derived where the column is empty).</summary>
    public double QuoteVolume24h() => Tail(24).Sum(c => c.QuoteVolumeOrDerived);

    /// <summary>The features at the newest candle's close; false during warm-up.</summary>
    public bool TryGetMarketFeatures(out float[] values)
    {
        values = [];
        if (_candles.Count < WarmUp)
        {
            return false;
        }

        var n = _candles.Count;
        var close = _candles[^1].Close;
        var returns24 = LogReturns(24);
        var returns168 = LogReturns(168);
        var vol24 = StdDev(returns24);
        var vol7d = StdDev(returns168);
        var day = Tail(24);
        var week = Tail(168);
        var parkinson = Math.Sqrt(day.Average(c => Math.Pow(Math.Log(c.High / c.Low), 2)) / (4 * Math.Log(2)));
        var amihud = day.Skip(0).Select((c, i) => Math.Abs(returns24[i]) / Math.Max(c.QuoteVolumeOrDerived, 1)).Average() * 1e6;
        var closeTime = _candles[^1].OpenTime + (n > 1 ? _candles[^1].OpenTime - _candles[^2].OpenTime : TimeSpan.FromHours(1));
        values =
        [
            (float)Math.Log(close / _candles[n - 2].Close),
            (float)Math.Log(close / _candles[n - 5].Close),
            (float)Math.Log(close / _candles[n - 25].Close),
            (float)vol24,
            (float)vol7d,
            (float)parkinson,
            (float)(vol7d > 0 ? vol24 / vol7d : double.NaN),
            (float)(1 - (close / day.Max(c => c.High))),
            (float)(1 - (close / week.Max(c => c.High))),
            (float)ZScore(_candles.Select(c => (double?)Math.Log(Math.Max(c.QuoteVolumeOrDerived, 1)))),
            (float)ZScore(_candles.Select(c => c.Trades)),
            (float)TakerBuyRatio(day),
            (float)amihud,
            closeTime.Hour,
            (float)closeTime.DayOfWeek,
        ];
        return true;
    }

    private IEnumerable<Candle> Tail(int count) => _candles.Skip(_candles.Count - count);

    private double[] LogReturns(int count)
    {
        var result = new double[count];
        var start = _candles.Count - count;
        for (var i = 0; i < count; i++)
        {
            result[i] = Math.Log(_candles[start + i].Close / _candles[start + i - 1].Close);
        }

        return result;
    }

    private static double StdDev(double[] values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / Math.Max(values.Length - 1, 1));
    }

    // The newest value against the window's history; NaN when the newest is absent or history is too thin.
    private static double ZScore(IEnumerable<double?> series)
    {
        var values = series.ToList();
        if (values[^1] is not { } last)
        {
            return double.NaN;
        }

        var present = values.OfType<double>().ToList();
        if (present.Count < 48)
        {
            return double.NaN;
        }

        var mean = present.Average();
        var sd = Math.Sqrt(present.Sum(v => (v - mean) * (v - mean)) / (present.Count - 1));
        return sd > 0 ? (last - mean) / sd : 0;
    }

    private static double TakerBuyRatio(IEnumerable<Candle> day)
    {
        double buy = 0, volume = 0;
        foreach (var c in day)
        {
            if (c.TakerBuyVolume is not { } taker)
            {
                return double.NaN;
            }

            buy += taker;
            volume += c.Volume;
        }

        return volume > 0 ? buy / volume : double.NaN;
    }
}
