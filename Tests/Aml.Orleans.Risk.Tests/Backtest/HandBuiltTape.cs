using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Tests.Backtest;

/// <summary>
/// Price paths built by hand: 29 hours of history whose closes alternate 100, 101 (so every hourly log return is
/// ±ln 1.01 and σ_day is known in closed form), each with a quote volume of 1,000,000; the decision at the close of
/// hour 28 (price 100); then the hours the test writes.
/// </summary>
internal static class HandBuiltTape
{
    public static readonly DateTimeOffset Start = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public const int DecisionHour = 28;
    public const double QuoteVolume = 1_000_000;

    /// <summary>σ_day at the decision: √24 × sample sd of 24 returns of ±a (12 each) = √24 · a · √(24/23).</summary>
    public static double DayVolatility => Math.Sqrt(24) * Math.Log(1.01) * Math.Sqrt(24.0 / 23);

    /// <summary>24 h quote volume at the decision.</summary>
    public static double Adv => 24 * QuoteVolume;

    /// <summary>The history, then <paramref name="after"/> (open, high, low, close) hour by hour, then flat hours to fill 24 h.</summary>
    public static CandleSeries Hourly(params (double Open, double High, double Low, double Close)[] after)
    {
        var candles = new List<Candle>();
        for (var h = 0; h <= DecisionHour; h++)
        {
            var close = h % 2 == 0 ? 100 : 101;
            var open = h == 0 ? 100 : candles[^1].Close;
            candles.Add(new Candle(Start.AddHours(h), open, Math.Max(open, close), Math.Min(open, close), close, 10_000, QuoteVolume));
        }

        foreach (var (open, high, low, close) in after)
        {
            candles.Add(new Candle(Start.AddHours(candles.Count), open, high, low, close, 10_000, QuoteVolume));
        }

        while (candles.Count <= DecisionHour + 26)
        {
            var last = candles[^1].Close;
            candles.Add(new Candle(Start.AddHours(candles.Count), last, last, last, last, 10_000, QuoteVolume));
        }

        return new CandleSeries("TEST-USD", TimeSpan.FromHours(1), candles, []);
    }

    /// <summary>Twelve 5-minute bars of hour <paramref name="hour"/> from (high, low, close) triples, each opening at the previous close.</summary>
    public static CandleSeries FiveMinute(int hour, double open, params (double High, double Low, double Close)[] bars)
    {
        Assert.Equal(12, bars.Length);
        var candles = new List<Candle>();
        var previous = open;
        for (var b = 0; b < bars.Length; b++)
        {
            candles.Add(new Candle(Start.AddHours(hour).AddMinutes(5 * b), previous, bars[b].High, bars[b].Low, bars[b].Close, 1_000));
            previous = bars[b].Close;
        }

        return new CandleSeries("TEST-USD", TimeSpan.FromMinutes(5), candles, []);
    }

    public static DecisionPoint Decision(MarketTape tape) => new(
        DecisionHour, Start.AddHours(DecisionHour + 1), tape.Hourly[DecisionHour].Close, new float[FeatureWindow.MarketFeatureNames.Count],
        tape.DayVolatility(DecisionHour), tape.QuoteVolume24h(DecisionHour), 1, 0, 0);
}
