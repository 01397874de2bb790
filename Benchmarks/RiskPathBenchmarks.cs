using Aml.Orleans.Risk;
using BenchmarkDotNet.Attributes;

namespace Aml.Orleans.Benchmarks;

/// <summary>
/// Risk assessments per call, single against batched (per assessment), as ratios to one single assessment in the
/// same run, on a model set trained on real BTC history (2021, 100 trees). <c>./aml bench</c> runs it.
/// </summary>
[MemoryDiagnoser]
public class RiskPathBenchmarks
{
    private static readonly MarketBounds Btc = new(100, 5_000, 50, 2_500, 100);
    private RiskEngine _engine = null!;
    private RiskInput[] _inputs = [];

    [GlobalSetup]
    public void Setup()
    {
        var data = Path.Combine(RepositoryRoot(), "data", "market", "BTCUSDT-1h.csv");
        var series = CandleLoader.Load(data);
        var trainTo = new DateTimeOffset(2022, 1, 1, 0, 0, 0, TimeSpan.Zero);
        _engine = new RiskEngine(RiskModelSet.Train(series, trainTo.AddYears(-1), trainTo));
        var window = new FeatureWindow();
        var inputs = new List<RiskInput>();
        foreach (var candle in series.Between(trainTo.AddDays(-30), trainTo.AddDays(60)))
        {
            window.Add(candle);
            if (candle.OpenTime >= trainTo && window.TryGetMarketFeatures(out var features))
            {
                inputs.Add(new RiskInput(features, inputs.Count % 2 == 0, 10, 0.0001, TraderFeatures.Newcomer));
            }
        }

        _inputs = inputs.Take(1_000).ToArray();
    }

    /// <summary>One assessment (the baseline).</summary>
    [Benchmark(Baseline = true)]
    public RiskOutput Single() => _engine.Assess(_inputs[0], Btc);

    /// <summary>1,000 assessments one by one.</summary>
    [Benchmark(OperationsPerInvoke = 1_000)]
    public int OneByOne()
    {
        var sum = 0;
        foreach (var input in _inputs)
        {
            sum += (int)_engine.Assess(input, Btc).MaxLeverageX100;
        }

        return sum;
    }

    /// <summary>1,000 assessments in one batch.</summary>
    [Benchmark(OperationsPerInvoke = 1_000)]
    public int Batched() => _engine.AssessBatch(_inputs, Btc).Sum(o => (int)o.MaxLeverageX100);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Aml.Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("no Aml.Orleans.sln above the benchmark binaries");
    }
}
