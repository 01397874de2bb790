using System.Diagnostics;
using Aml.Orleans.Risk;

namespace Aml.Orleans.Benchmarks.Load;

/// <summary>What scoring measured: assessments per second one by one (the baseline) and in one batch.</summary>
internal sealed record ScoringResult(int Inputs, double SinglePerSecond, double BatchedPerSecond)
{
    public double BatchedOverSingle => BatchedPerSecond / SinglePerSecond;
}

/// <summary>
/// The risk engine's batch path against one assessment at a time, in this process on the model set and inputs of
/// <see cref="RiskPathBenchmarks"/>, so that the load report and BENCHMARKS.json carry the ratio without the
/// BenchmarkDotNet suites; the best of a few rounds each, after a warm-up round.
/// </summary>
internal static class ScoringLoad
{
    private const int Rounds = 7;
    private static readonly MarketBounds Btc = new(100, 5_000, 50, 2_500, 100);

    public static ScoringResult Run()
    {
        Progress.Say("scoring: training the benchmark model set, then single against batched assessments");
        var (models, inputs) = RiskBenchmarkData.Load();
        var engine = new RiskEngine(models);
        var single = double.MaxValue;
        var batched = double.MaxValue;
        for (var round = 0; round <= Rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            foreach (var input in inputs)
            {
                _ = engine.Assess(input, Btc);
            }

            var one = clock.Elapsed.TotalSeconds;
            clock.Restart();
            _ = engine.AssessBatch(inputs, Btc);
            var batch = clock.Elapsed.TotalSeconds;
            if (round > 0) // round 0 warms the JIT up
            {
                (single, batched) = (Math.Min(single, one), Math.Min(batched, batch));
            }
        }

        return new ScoringResult(inputs.Length, inputs.Length / single, inputs.Length / batched);
    }
}
