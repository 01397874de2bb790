namespace Aml.Orleans.Risk.Backtest;

/// <summary>A stretch of the window priced by one model set, and the data that set may be trained on.</summary>
/// <param name="From">First decision time of the segment.</param>
/// <param name="To">End of the segment (exclusive).</param>
/// <param name="TrainFrom">First sample time of the training window.</param>
/// <param name="TrainTo">End of the training data (exclusive): every candle and every label the set sees is before it; equals <paramref name="From"/>.</param>
public sealed record WalkForwardSegment(DateTimeOffset From, DateTimeOffset To, DateTimeOffset TrainFrom, DateTimeOffset TrainTo);

/// <summary>
/// The retraining schedule (RISK.md "Walk-forward"), as the trainer grain does it: the window is cut into segments of
/// <see cref="Step"/> (default 30 days); the set pricing a segment is trained on the <see cref="TrainingSpan"/>
/// (default 2 years) strictly before the segment starts, so no model or calibration used at time t saw data at or
/// after t.
/// </summary>
public sealed record WalkForwardSchedule(TimeSpan Step, TimeSpan TrainingSpan)
{
    /// <summary>Every 30 days, on the two years before.</summary>
    public static WalkForwardSchedule Default { get; } = new(TimeSpan.FromDays(30), TimeSpan.FromDays(730));

    /// <summary>The segments covering <c>[from, to)</c>, in time order.</summary>
    public IReadOnlyList<WalkForwardSegment> Segments(DateTimeOffset from, DateTimeOffset to)
    {
        if (Step <= TimeSpan.Zero || TrainingSpan <= TimeSpan.Zero)
        {
            throw new ArgumentException($"the schedule's step ({Step}) and training span ({TrainingSpan}) must be positive");
        }

        var segments = new List<WalkForwardSegment>();
        for (var start = from; start < to; start += Step)
        {
            var end = start + Step < to ? start + Step : to;
            segments.Add(new WalkForwardSegment(start, end, start - TrainingSpan, start));
        }

        return segments;
    }

    /// <summary>
    /// The candles a segment's trainer is given: from enough warm-up before <see cref="WalkForwardSegment.TrainFrom"/>
    /// for the 30-day features, up to but excluding <see cref="WalkForwardSegment.TrainTo"/>. The trainer cannot see
    /// later data because it is not handed any.
    /// </summary>
    public static CandleSeries TrainingData(CandleSeries series, WalkForwardSegment segment)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(segment);
        var candles = series.Between(segment.TrainFrom - TimeSpan.FromDays(31), segment.TrainTo);
        var gaps = series.Gaps.Where(g => g.After >= candles[0].OpenTime && g.Before <= candles[^1].OpenTime).ToArray();
        return new CandleSeries(series.Asset, series.Interval, candles, gaps);
    }
}
