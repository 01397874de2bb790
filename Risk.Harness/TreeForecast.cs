using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace Aml.Orleans.Risk.Harness;

/// <summary>
/// FastTree (40 trees, seed 42, the engine's tree settings) of log(σ_next / σ_24h) on D4's regressors in σ_24h units,
/// retrained every 30 days of priced hours on the trailing 2 years of hours whose target had matured by then.
/// </summary>
internal static class TreeForecast
{
    private const int TrailingHours = 2 * 365 * 24, RetrainEvery = 30 * 24;

    /// <summary>σ estimates, entered as log(σ_x / σ_24h); the rest as they are.</summary>
    private static readonly string[] Sigmas = ["s1", "s4", "s7d", "s30d", "pk24", "gk24", "rs24", "garch"];
    private static readonly string[] Others = ["weekend", "quote_shock", "trade_shock", "trade_absent", "down24"];

    public static VolatilityForecast Fit(VolatilityHours hours, IReadOnlyList<int> priced)
    {
        var result = new Dictionary<int, (double, double)>();
        var context = new MLContext(42);
        for (var start = 0; start < priced.Count;)
        {
            var trainedAt = priced[start];
            var rows = Enumerable.Range(Math.Max(0, trainedAt - TrailingHours), TrailingHours - VolatilityHours.Horizon + 1)
                .Where(t => t <= trainedAt - VolatilityHours.Horizon && hours.Usable[t] && double.IsFinite(hours["garch"][t]))
                .Select(t => Row(hours, t)).ToList();
            var model = context.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
            {
                NumberOfTrees = 40, NumberOfLeaves = 16, MinimumExampleCountPerLeaf = 50, LearningRate = 0.1, NumberOfThreads = 1,
                FeatureColumnName = nameof(VolatilityRow.Features), LabelColumnName = nameof(VolatilityRow.Label),
            }).Fit(context.Data.LoadFromEnumerable(rows));
            var residualVariance = Scores(context, model, rows).Zip(rows, (s, r) => Math.Pow(r.Label - s, 2)).Average();
            var segment = priced.Skip(start).TakeWhile(t => t < trainedAt + RetrainEvery).ToList();
            var scores = Scores(context, model, segment.Select(t => Row(hours, t)).ToList());
            for (var i = 0; i < segment.Count; i++)
            {
                result[segment[i]] = (hours["s24"][segment[i]] + scores[i], residualVariance);
            }

            start += segment.Count;
        }

        return new VolatilityForecast("tree", result);
    }

    private static float[] Scores(MLContext context, ITransformer model, List<VolatilityRow> rows) =>
        [.. model.Transform(context.Data.LoadFromEnumerable(rows)).GetColumn<float>("Score")];

    private static VolatilityRow Row(VolatilityHours hours, int t) => new()
    {
        Features = [.. Sigmas.Select(s => (float)(hours[s][t] - hours["s24"][t])), .. Others.Select(o => (float)hours[o][t])],
        Label = (float)(Math.Log(hours.Target[t]) - hours["s24"][t]),
    };

    private sealed class VolatilityRow
    {
        [VectorType(13)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }
}
