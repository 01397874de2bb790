using Aml.Orleans.Risk;
using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using Microsoft.ML.Data;

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
        var (models, inputs) = RiskBenchmarkData.Load();
        _engine = new RiskEngine(models);
        _inputs = inputs;
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
}

/// <summary>
/// One explanation (top 5 contributions of the three models): the contribution calculators fitted again on every call,
/// as <c>RiskEngine.Explain</c> did before (the baseline, kept only here), against fitted once per engine.
/// </summary>
[MemoryDiagnoser]
public class ExplainBenchmarks
{
    private RiskModelSet _models = null!;
    private RiskEngine _engine = null!;
    private RiskInput _input = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_models, var inputs) = RiskBenchmarkData.Load();
        _engine = new RiskEngine(_models);
        _input = inputs[0];
        // Both paths must give the same numbers, or the ratio compares different work.
        foreach (var input in inputs.Take(50))
        {
            if (!Rebuilt(input).SequenceEqual(_engine.ExplainAll(input)))
            {
                throw new InvalidOperationException("the cached explanation differs from the per-call fit");
            }
        }
    }

    /// <summary>Calculators fitted for this call (the baseline).</summary>
    [Benchmark(Baseline = true)]
    public int RebuiltPerCall() => Rebuilt(_input).OrderByDescending(c => Math.Abs(c.Amount)).Take(5).Count();

    /// <summary>Calculators fitted once per engine.</summary>
    [Benchmark]
    public int Cached() => _engine.Explain(_input, 5).Count;

    private IEnumerable<Contribution> Rebuilt(RiskInput input)
    {
        var (excursion, risk) = _engine.ExplainedRows(input);
        var row = new ExcursionRow { Features = excursion };
        return Fitted("leverage", _models.Leverage.Mean, row, excursion, RiskModelSet.ExcursionFeatureNames)
            .Concat(Fitted("threshold", _models.Threshold.Mean, row, excursion, RiskModelSet.ExcursionFeatureNames))
            .Concat(Fitted("risk", _models.RiskScore, new RiskScoreRow { Features = risk }, risk, RiskModelSet.RiskFeatureNames));
    }

    private Contribution[] Fitted<TRow>(string model, ITransformer transformer, TRow row, float[] values, IReadOnlyList<string> names)
        where TRow : class
    {
        var chain = ContributionCalculators.Chain<TRow>(_models.Context, model, transformer, names.Count);
        var amounts = chain.Transform(_models.Context.Data.LoadFromEnumerable([row])).GetColumn<float[]>("FeatureContributions").First();
        return ContributionCalculators.Named(model, amounts, values, names);
    }
}

/// <summary>The risk benchmarks' model set (real BTC history, 2021, 100 trees) and 1,000 inputs of the two months after it.</summary>
internal static class RiskBenchmarkData
{
    public static (RiskModelSet Models, RiskInput[] Inputs) Load()
    {
        var data = Path.Combine(RepositoryRoot(), "data", "market", "BTCUSDT-1h.csv");
        var series = CandleLoader.Load(data);
        var trainTo = new DateTimeOffset(2022, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var models = RiskModelSet.Train(series, trainTo.AddYears(-1), trainTo);
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

        return (models, [.. inputs.Take(1_000)]);
    }

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
