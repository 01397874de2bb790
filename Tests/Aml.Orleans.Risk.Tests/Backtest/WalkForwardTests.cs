using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Tests.Backtest;

/// <summary>The walk-forward never uses data at or after the point it prices.</summary>
public sealed class WalkForwardTests
{
    private static readonly MarketBounds Btc = new(100, 5_000, 50, 2_500, 100);
    private static readonly DateTimeOffset From = new(2022, 3, 1, 0, 0, 0, TimeSpan.Zero);

    // Short and small so the test trains in seconds: 10-day segments on the half year before, 10 trees.
    private static readonly BacktestOptions Options = new()
    {
        Policies = [Policy.Aml], Schedule = new WalkForwardSchedule(TimeSpan.FromDays(10), TimeSpan.FromDays(180)), Trees = 10,
    };

    [Fact]
    public void Segments_CoverTheWindow_EachTrainedStrictlyBeforeItStarts()
    {
        var segments = WalkForwardSchedule.Default.Segments(From, From.AddDays(75));

        Assert.Equal(3, segments.Count);
        Assert.Equal(From, segments[0].From);
        Assert.Equal(From.AddDays(75), segments[^1].To);
        Assert.All(segments, s => Assert.Equal(s.From, s.TrainTo));
        Assert.All(segments.Zip(segments.Skip(1)), pair => Assert.Equal(pair.First.To, pair.Second.From));
        Assert.All(segments, s => Assert.True(WalkForwardSchedule.TrainingData(RiskData.Btc, s).Candles[^1].OpenTime < s.TrainTo));
    }

    [Fact]
    public void Run_FutureRewritten_EveryEarlierDecisionAndModelUnchanged()
    {
        // Decisions at or before the cut read candles opening before it; rewriting every candle from the cut on (a
        // different future) must leave them, and the sets that made them, bit for bit the same.
        var cut = From.AddDays(13).AddHours(5);
        var to = From.AddDays(20);
        var honest = Run(RiskData.Btc, to);
        var rewritten = Run(Rewrite(RiskData.Btc, cut), to);

        // What was decided (the realized excursions are labels from the future, and do change).
        static object Decided(BacktestPoint p) => (p.Time, p.Close, p.AmlCap, p.AmlQuantileLong, p.AmlQuantileShort);
        var before = honest.Points.Where(p => p.Time <= cut).Select(Decided).ToList();
        Assert.True(before.Count > 300, $"{before.Count} decisions before the cut");
        Assert.Equal(before, rewritten.Points.Take(before.Count).Select(Decided));
        Assert.Equal(honest.Models.Where(m => m.From <= cut), rewritten.Models.Where(m => m.From <= cut));
        Assert.All(honest.Models, m => Assert.True(m.TrainedTo <= m.From, $"set {m.ModelHash} trained to {m.TrainedTo:O} prices from {m.From:O}"));
        // The rewrite does reach the model: later decisions differ, so the comparison above could have failed.
        Assert.NotEqual(honest.Points.Skip(before.Count).Select(p => p.AmlCap), rewritten.Points.Skip(before.Count).Select(p => p.AmlCap));
    }

    private static BacktestResult Run(CandleSeries series, DateTimeOffset to) =>
        Backtester.Run(new MarketTape(series), series, From, to, Btc, models: null, Options);

    // From the cut on, the path is mirrored around the cut's open (a crash where there was a rally and vice versa).
    private static CandleSeries Rewrite(CandleSeries series, DateTimeOffset cut)
    {
        var pivot = series.Candles.First(c => c.OpenTime >= cut).Open;
        double Mirror(double price) => pivot * pivot / price;
        var candles = series.Candles.Select(c => c.OpenTime < cut
            ? c
            : c with { Open = Mirror(c.Open), High = Mirror(c.Low), Low = Mirror(c.High), Close = Mirror(c.Close), Volume = c.Volume * 3 }).ToArray();
        return series with { Candles = candles };
    }
}
