namespace Aml.Orleans.Risk.Backtest;

/// <summary>Where a position's liquidation price was first crossed and the worst price over the execution window after it.</summary>
/// <param name="Time">Open time of the bar that crossed.</param>
/// <param name="Hour">Index of the hourly candle holding that bar.</param>
/// <param name="WorstPrice">The adverse extreme over the execution window, before impact.</param>
/// <param name="OnFineBars">Whether the trigger was found on the finer (e.g. 5-minute) bars.</param>
public readonly record struct Trigger(DateTimeOffset Time, int Hour, double WorstPrice, bool OnFineBars);

/// <summary>
/// The price paths of one asset: hourly candles everywhere, and finer candles (e.g. the 5-minute BTC file of 2022-11)
/// where they exist. A liquidation is triggered on the finest bars an hour has: an hour is read from the fine series
/// only when that series holds every one of its bars, otherwise from the hourly candle. Also the per-hour market
/// state the impact term needs (σ_day and 24 h quote volume), each from candles up to that hour's close only.
/// </summary>
public sealed class MarketTape
{
    private static readonly TimeSpan Hour1 = TimeSpan.FromHours(1);
    private readonly Dictionary<DateTimeOffset, int> _fineStart = [];
    private readonly double[] _dayVolatility;
    private readonly double[] _quoteVolume24h;

    /// <summary>Hourly candles, and finer candles covering some of those hours (or none).</summary>
    public MarketTape(CandleSeries hourly, CandleSeries? fine = null, TimeSpan? executionWindow = null)
    {
        ArgumentNullException.ThrowIfNull(hourly);
        if (hourly.Interval != Hour1)
        {
            throw new ArgumentException($"{hourly.Asset}: the tape needs hourly candles, got a {hourly.Interval} series", nameof(hourly));
        }

        Hourly = hourly.Candles;
        Fine = fine?.Candles ?? [];
        if (fine is not null)
        {
            if (fine.Asset != hourly.Asset)
            {
                throw new ArgumentException($"fine candles of {fine.Asset} cannot refine hourly candles of {hourly.Asset}", nameof(fine));
            }

            if (fine.Interval >= Hour1 || Hour1.Ticks % fine.Interval.Ticks != 0)
            {
                throw new ArgumentException($"{fine.Asset}: finer candles must divide an hour, got {fine.Interval}", nameof(fine));
            }

            FineInterval = fine.Interval;
            IndexCompleteFineHours(fine);
        }

        ExecutionWindow = executionWindow ?? TimeSpan.FromMinutes(15);
        (_dayVolatility, _quoteVolume24h) = MarketState(Hourly);
    }

    /// <summary>The hourly candles.</summary>
    public IReadOnlyList<Candle> Hourly { get; }

    /// <summary>The finer candles (empty when none were given).</summary>
    public IReadOnlyList<Candle> Fine { get; }

    /// <summary>Interval of the finer candles (zero when none).</summary>
    public TimeSpan FineInterval { get; }

    /// <summary>Execution window after a trigger on fine bars (default 15 minutes).</summary>
    public TimeSpan ExecutionWindow { get; }

    /// <summary>Hours read from fine bars.</summary>
    public int FineHours => _fineStart.Count;

    /// <summary>σ_day = √24 × the standard deviation of the 24 hourly log returns up to the close of hour <paramref name="hour"/> (NaN in warm-up).</summary>
    public double DayVolatility(int hour) => _dayVolatility[hour];

    /// <summary>Quote volume of the 24 hourly candles up to hour <paramref name="hour"/> (derived from base volume where absent).</summary>
    public double QuoteVolume24h(int hour) => _quoteVolume24h[hour];

    /// <summary>Whether hourly candles <c>hour..hour+count</c> are present and one hour apart.</summary>
    public bool Contiguous(int hour, int count) =>
        hour + count < Hourly.Count && Hourly[hour + count].OpenTime - Hourly[hour].OpenTime == Hour1 * count;

    /// <summary>
    /// The first bar in hourly candles <c>first..last</c> whose adverse extreme crosses <paramref name="liquidationPrice"/>
    /// (a long's low at or below it, a short's high at or above it), and the worst price over the execution window:
    /// on fine bars the bars opening within <see cref="ExecutionWindow"/> of the trigger bar's open; on an hourly bar
    /// that bar's extreme and the next hour's (when present). Null when the price never crosses.
    /// </summary>
    public Trigger? FindTrigger(int first, int last, bool isLong, double liquidationPrice)
    {
        for (var h = first; h <= last; h++)
        {
            var candle = Hourly[h];
            if (!Crosses(candle, isLong, liquidationPrice))
            {
                continue;
            }

            if (!_fineStart.TryGetValue(candle.OpenTime, out var start))
            {
                var worst = Adverse(candle, isLong);
                if (Contiguous(h, 1))
                {
                    worst = Worse(worst, Adverse(Hourly[h + 1], isLong), isLong);
                }

                return new Trigger(candle.OpenTime, h, worst, OnFineBars: false);
            }

            // The hourly candle is the sum of its fine bars, so the cross is on one of them.
            for (var b = start; b < start + BarsPerHour; b++)
            {
                if (Crosses(Fine[b], isLong, liquidationPrice))
                {
                    return new Trigger(Fine[b].OpenTime, h, WorstOverWindow(b, isLong), OnFineBars: true);
                }
            }
        }

        return null;
    }

    private int BarsPerHour => (int)(Hour1.Ticks / FineInterval.Ticks);

    private double WorstOverWindow(int bar, bool isLong)
    {
        var end = Fine[bar].OpenTime + ExecutionWindow;
        var worst = Adverse(Fine[bar], isLong);
        for (var b = bar + 1; b < Fine.Count && Fine[b].OpenTime < end && Fine[b].OpenTime - Fine[b - 1].OpenTime == FineInterval; b++)
        {
            worst = Worse(worst, Adverse(Fine[b], isLong), isLong);
        }

        return worst;
    }

    private static bool Crosses(Candle candle, bool isLong, double liquidationPrice) =>
        isLong ? candle.Low <= liquidationPrice : candle.High >= liquidationPrice;

    private static double Adverse(Candle candle, bool isLong) => isLong ? candle.Low : candle.High;

    private static double Worse(double a, double b, bool isLong) => isLong ? Math.Min(a, b) : Math.Max(a, b);

    private void IndexCompleteFineHours(CandleSeries fine)
    {
        var perHour = BarsPerHour;
        var candles = fine.Candles;
        for (var i = 0; i + perHour <= candles.Count; i++)
        {
            var open = candles[i].OpenTime;
            if (open.Ticks % Hour1.Ticks == 0 && candles[i + perHour - 1].OpenTime - open == fine.Interval * (perHour - 1))
            {
                _fineStart[open] = i;
                i += perHour - 1;
            }
        }
    }

    private static (double[] DayVolatility, double[] QuoteVolume24h) MarketState(IReadOnlyList<Candle> candles)
    {
        var volatility = new double[candles.Count];
        var volume = new double[candles.Count];
        for (var h = 0; h < candles.Count; h++)
        {
            double sum = 0;
            for (var j = Math.Max(0, h - 23); j <= h; j++)
            {
                sum += candles[j].QuoteVolumeOrDerived;
            }

            volume[h] = sum;
            if (h < 24)
            {
                volatility[h] = double.NaN;
                continue;
            }

            double mean = 0, squares = 0;
            for (var j = h - 23; j <= h; j++)
            {
                mean += Math.Log(candles[j].Close / candles[j - 1].Close) / 24;
            }

            for (var j = h - 23; j <= h; j++)
            {
                var r = Math.Log(candles[j].Close / candles[j - 1].Close) - mean;
                squares += r * r;
            }

            volatility[h] = Math.Sqrt(squares / 23) * Math.Sqrt(24);
        }

        return (volatility, volume);
    }
}
