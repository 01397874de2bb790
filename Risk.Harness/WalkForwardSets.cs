using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Harness;

/// <summary>The walk-forward sets of Backtester (30-day segments, 2 years before, 40 trees), trained two at a time and cached on disk.</summary>
internal static class WalkForwardSets
{
    public static (IReadOnlyList<WalkForwardSegment> Segments, RiskModelSet[] Sets) Get(Market market, string cacheRoot)
    {
        var points = market.Points;
        var segments = WalkForwardSchedule.Default.Segments(points[0].Time, points[^1].Time + TimeSpan.FromTicks(1));
        var sets = new RiskModelSet[segments.Count];
        Parallel.For(0, segments.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, s =>
        {
            var directory = Path.Combine(cacheRoot, market.Asset, segments[s].From.ToString("yyyyMMddHH"));
            if (File.Exists(Path.Combine(directory, RiskModelSet.ManifestFile)))
            {
                sets[s] = RiskModelSet.Load(directory);
                return;
            }

            sets[s] = RiskModelSet.Train(WalkForwardSchedule.TrainingData(market.Hourly, segments[s]), segments[s].TrainFrom, segments[s].TrainTo, new RiskTrainingOptions { Trees = 40 });
            sets[s].Save(directory);
        });
        return (segments, sets);
    }
}
