using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;

namespace Aml.Orleans.Risk;

/// <summary>
/// One excursion quantile (the leverage model over 24 h, the threshold model over the execution window): a FastTree
/// regression of the normalised log excursion, a second FastTree predicting the size of its residual (the scale of
/// the normalised conformal score), and each side's sorted calibration scores. The quantile at coverage 1-α is
/// <c>ŷ + ŝ·Q_side(1-α)</c> on the normalised log scale, mapped back through the horizon's volatility.
/// </summary>
internal sealed class ExcursionModel
{
    /// <summary>Smallest residual scale: keeps a near-zero prediction of ŝ from collapsing the interval.</summary>
    public const float ScaleFloor = 0.05f;

    public ExcursionModel(ITransformer mean, ITransformer scale, ConformalScores scores, int horizon)
    {
        Mean = mean;
        Scale = scale;
        Scores = scores;
        Horizon = horizon;
        MeanTrees = CompiledTrees.From(mean, ExcursionRow.Width);
        ScaleTrees = CompiledTrees.From(scale, ExcursionRow.Width);
    }

    public ITransformer Mean { get; }

    public ITransformer Scale { get; }

    public ConformalScores Scores { get; }

    public int Horizon { get; }

    public CompiledTrees MeanTrees { get; }

    public CompiledTrees ScaleTrees { get; }

    /// <summary>Fits the mean and scale models on <paramref name="train"/> and the conformal scores on <paramref name="calibration"/>.</summary>
    public static ExcursionModel Fit(
        MLContext context, IReadOnlyList<Sample> train, IReadOnlyList<Sample> calibration, int horizon, Func<Sample, bool, double> label, int trees)
    {
        var rows = Rows(train, horizon, label).Select(r => r.Row).ToList();
        var mean = FitRegression(context, rows, trees);
        var meanTrees = CompiledTrees.From(mean, ExcursionRow.Width);
        // The scale model learns |residual| of the mean model on its own training rows; the conformal step on the later
        // calibration window then corrects whatever optimism that in-sample residual carries.
        var scaleRows = rows.Select(r => new ExcursionRow { Features = r.Features, Label = Math.Abs(r.Label - meanTrees.Score(r.Features)) }).ToList();
        var scale = FitRegression(context, scaleRows, trees);
        var model = new ExcursionModel(mean, scale, new ConformalScores([], []), horizon);
        var scored = Rows(calibration, horizon, label).Select(r => (r.IsLong, Score: model.Score(r.Row.Features, r.Row.Label))).ToList();
        var scores = ConformalScores.Of(scored.Where(s => s.IsLong).Select(s => s.Score), scored.Where(s => !s.IsLong).Select(s => s.Score));
        return new ExcursionModel(mean, scale, scores, horizon);
    }

    /// <summary>Both sides' rows of the samples: normalised features and the normalised log label.</summary>
    public static IEnumerable<(bool IsLong, ExcursionRow Row)> Rows(IEnumerable<Sample> samples, int horizon, Func<Sample, bool, double> label) =>
        samples.SelectMany(s => new[] { true, false }.Select(isLong => (isLong, new ExcursionRow
        {
            Features = ModelFeatures.Excursion(s.Market, isLong),
            Label = TrainingSet.NormalisedLogExcursion(label(s, isLong), ModelFeatures.Scale(s.Market, horizon)),
        })));

    /// <summary>The conformal score of a normalised log label: how many predicted residual scales above the prediction.</summary>
    public double Score(float[] features, float label) => Score(MeanTrees.Score(features), ScaleTrees.Score(features), label);

    public static double Score(float mean, float scale, float label) => (label - mean) / (double)Math.Max(scale, ScaleFloor);

    /// <summary>The normalised log quantile at coverage 1-α on a side, from the two models' scores.</summary>
    public double LogQuantile(float mean, float scale, bool isLong, double alpha) =>
        mean + (Math.Max(scale, ScaleFloor) * Scores.Quantile(isLong, alpha));

    /// <summary>The excursion quantile (a fraction of price) for raw market features.</summary>
    public double Quantile(float[] market, float mean, float scale, bool isLong, double alpha) =>
        TrainingSet.FromNormalisedLog(LogQuantile(mean, scale, isLong, alpha), ModelFeatures.Scale(market, Horizon));

    private static ITransformer FitRegression(MLContext context, List<ExcursionRow> rows, int trees) =>
        RiskModelSet.WithMissingValues(context).Append(context.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
        {
            NumberOfTrees = trees, NumberOfLeaves = 16, MinimumExampleCountPerLeaf = 50, LearningRate = 0.1,
            NumberOfThreads = 1, FeatureColumnName = RiskModelSet.ModelInput, LabelColumnName = "Label",
        })).Fit(context.Data.LoadFromEnumerable(rows));
}
