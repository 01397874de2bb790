using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Aml.Orleans.Ethereum;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace Aml.Orleans.Risk;

/// <summary>How a model set is trained (defaults are the ones the README's numbers come from).</summary>
public sealed record RiskTrainingOptions
{
    /// <summary>Seed of everything random (ML.NET context, the simulated trader population).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Coverage of the 24 h excursion quantile behind the leverage cap (1 - the liquidation-rate target).</summary>
    public double LeverageCoverage { get; init; } = 0.95;

    /// <summary>Coverage of the short-horizon excursion quantile behind the maintenance margin.</summary>
    public double ThresholdCoverage { get; init; } = 0.99;

    /// <summary>Share of the training window, at its end, held back for split-conformal calibration.</summary>
    public double CalibrationShare { get; init; } = 0.2;

    /// <summary>Trees per model.</summary>
    public int Trees { get; init; } = 100;
}

/// <summary>A model set's leverage quantile on a window: samples, empirical coverage, mean pinball loss.</summary>
public sealed record ModelEvaluation(int Samples, double Coverage, double PinballLoss);

/// <summary>What <c>model.json</c> holds besides the models: identity, calibration, window and validation metrics.</summary>
public sealed record ModelManifest(
    string ModelHash,
    string Asset,
    IReadOnlyList<string> ExcursionFeatures,
    IReadOnlyList<string> RiskFeatures,
    double LeverageCoverage,
    double LeverageOffset,
    double ThresholdCoverage,
    double ThresholdOffset,
    DateTimeOffset TrainFrom,
    DateTimeOffset TrainTo,
    DateTimeOffset CalibrationFrom,
    int Samples,
    IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// The three FastTree models of one asset (leverage, threshold, risk score) with their split-conformal offsets.
/// Content-addressed: <see cref="ModelHash"/> is keccak256 of the saved model files and the calibration, so the
/// hash a decision carries names exactly the models that made it. Saved files are byte-stable (zip entries carry
/// no timestamps), so training twice on the same data with the same seed gives the same hash.
/// </summary>
public sealed class RiskModelSet
{
    private static readonly string[] ModelFiles = ["leverage.zip", "threshold.zip", "risk.zip"];
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private RiskModelSet(MLContext context, ITransformer leverage, ITransformer threshold, ITransformer riskScore, ModelManifest manifest, byte[][] files)
    {
        Context = context;
        Leverage = leverage;
        Threshold = threshold;
        RiskScore = riskScore;
        Manifest = manifest;
        Files = files;
    }

    /// <summary>0x-prefixed keccak256 of the model files and calibration.</summary>
    public string ModelHash => Manifest.ModelHash;

    /// <summary>Identity, calibration, window and metrics.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>Feature names of the risk-score model, the widest input (in vector order).</summary>
    public IReadOnlyList<string> FeatureSchema => Manifest.RiskFeatures;

    internal MLContext Context { get; }

    internal ITransformer Leverage { get; }

    internal ITransformer Threshold { get; }

    internal ITransformer RiskScore { get; }

    private byte[][] Files { get; }

    /// <summary>Names of the excursion models' inputs.</summary>
    public static IReadOnlyList<string> ExcursionFeatureNames { get; } = [.. FeatureWindow.MarketFeatureNames, "is_long"];

    /// <summary>Names of the risk-score model's inputs.</summary>
    public static IReadOnlyList<string> RiskFeatureNames { get; } =
        [.. FeatureWindow.MarketFeatureNames, "is_long", "leverage", .. TraderFeatures.Names];

    /// <summary>Trains and calibrates on the candles with <c>from ≤ t</c> and label horizons ending before <c>to</c>.</summary>
    public static RiskModelSet Train(CandleSeries series, DateTimeOffset from, DateTimeOffset to, RiskTrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        options ??= new RiskTrainingOptions();
        var set = TrainingSet.Build(series, from, to, options.Seed);
        if (set.Excursions.Count < 500)
        {
            throw new ArgumentException($"{series.Asset}: {set.Excursions.Count} samples between {from:O} and {to:O}; training needs at least 500 hours", nameof(series));
        }

        var context = new MLContext(options.Seed);
        var calibrationFrom = set.Excursions[(int)(set.Excursions.Count * (1 - options.CalibrationShare))].Time;
        bool InTraining(DateTimeOffset t) => t < calibrationFrom;

        var excursionTrain = set.Excursions.Where(e => InTraining(e.Time)).SelectMany(e => new[] { e.Long, e.Short }).ToList();
        var excursionCalibration = set.Excursions.Where(e => !InTraining(e.Time)).SelectMany(e => new[] { e.Long, e.Short }).ToList();
        var leverage = FitRegression(context, excursionTrain, options);
        var leverageOffset = ConformalOffset(context, leverage, excursionCalibration, options.LeverageCoverage);

        var shortTrain = set.ShortExcursions.Where(e => InTraining(e.Time)).Select(e => e.Row).ToList();
        var shortCalibration = set.ShortExcursions.Where(e => !InTraining(e.Time)).Select(e => e.Row).ToList();
        var threshold = FitRegression(context, shortTrain, options);
        var thresholdOffset = ConformalOffset(context, threshold, shortCalibration, options.ThresholdCoverage);

        var riskTrain = set.RiskScores.Where(r => InTraining(r.Time)).Select(r => r.Row).ToList();
        var riskCalibration = set.RiskScores.Where(r => !InTraining(r.Time)).Select(r => r.Row).ToList();
        var riskScore = WithMissingValues(context).Append(context.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            NumberOfTrees = options.Trees, NumberOfLeaves = 16, MinimumExampleCountPerLeaf = 50, LearningRate = 0.1,
            NumberOfThreads = 1, FeatureColumnName = ModelInput, LabelColumnName = "Label",
        })).Fit(context.Data.LoadFromEnumerable(riskTrain));
        var riskMetrics = context.BinaryClassification.Evaluate(riskScore.Transform(context.Data.LoadFromEnumerable(riskCalibration)));

        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["leverage_calibration_coverage"] = Coverage(context, leverage, leverageOffset, excursionCalibration),
            ["threshold_calibration_coverage"] = Coverage(context, threshold, thresholdOffset, shortCalibration),
            ["risk_auc"] = Math.Round(riskMetrics.AreaUnderRocCurve, 6),
            ["risk_log_loss"] = Math.Round(riskMetrics.LogLoss, 6),
        };
        var files = new[] { Serialize(context, leverage, typeof(ExcursionRow)), Serialize(context, threshold, typeof(ExcursionRow)), Serialize(context, riskScore, typeof(RiskScoreRow)) };
        var manifest = new ModelManifest(
            "", series.Asset, ExcursionFeatureNames, RiskFeatureNames, options.LeverageCoverage, leverageOffset, options.ThresholdCoverage,
            thresholdOffset, set.Excursions[0].Time, to, calibrationFrom, set.Excursions.Count, metrics);
        manifest = manifest with { ModelHash = Hash(files, manifest) };
        return new RiskModelSet(context, leverage, threshold, riskScore, manifest, files);
    }

    /// <summary>
    /// How the leverage quantile did on a window the set may not have seen: the share of 24 h excursions it covered
    /// and the pinball loss at its coverage level (a proper score for quantiles: lower is better), over both sides.
    /// </summary>
    public ModelEvaluation Evaluate(CandleSeries series, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(series);
        var rows = TrainingSet.Build(series, from, to, seed: 0).Excursions.SelectMany(e => new[] { e.Long, e.Short }).ToList();
        if (rows.Count == 0)
        {
            throw new ArgumentException($"no complete 24 h samples between {from:O} and {to:O}", nameof(series));
        }

        var scores = Leverage.Transform(Context.Data.LoadFromEnumerable(rows)).GetColumn<float>("Score").ToArray();
        var tau = Manifest.LeverageCoverage;
        double covered = 0, loss = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            var quantile = scores[i] + Manifest.LeverageOffset;
            var error = rows[i].Label - quantile;
            covered += error <= 0 ? 1 : 0;
            loss += error >= 0 ? tau * error : (tau - 1) * error;
        }

        return new ModelEvaluation(rows.Count, covered / rows.Count, loss / rows.Count);
    }

    /// <summary>The calibrated 24 h long excursion quantile for each feature vector (for calibration charts).</summary>
    public double[] LeverageQuantiles(IReadOnlyList<float[]> marketFeatures)
    {
        ArgumentNullException.ThrowIfNull(marketFeatures);
        var rows = marketFeatures.Select(f => new ExcursionRow { Features = TrainingSet.ExcursionFeatures(f, true) }).ToList();
        var scores = Leverage.Transform(Context.Data.LoadFromEnumerable(rows)).GetColumn<float>("Score").ToArray();
        return scores.Select(score => TrainingSet.FromLogExcursion(score + Manifest.LeverageOffset)).ToArray();
    }

    /// <summary>Writes the model files and <c>model.json</c> into <paramref name="directory"/>.</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        for (var i = 0; i < ModelFiles.Length; i++)
        {
            File.WriteAllBytes(Path.Combine(directory, ModelFiles[i]), Files[i]);
        }

        File.WriteAllText(Path.Combine(directory, "model.json"), JsonSerializer.Serialize(Manifest, Json) + "\n");
    }

    /// <summary>Loads a saved set and checks its files against the hash in <c>model.json</c>.</summary>
    public static RiskModelSet Load(string directory)
    {
        var manifestPath = Path.Combine(directory, "model.json");
        if (!File.Exists(manifestPath))
        {
            throw new FileNotFoundException($"no model set in {directory}: model.json is missing (train one with ./aml train)", manifestPath);
        }

        var manifest = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(manifestPath))
                       ?? throw new InvalidDataException($"{manifestPath} is empty");
        var files = ModelFiles.Select(f => File.ReadAllBytes(Path.Combine(directory, f))).ToArray();
        var actual = Hash(files, manifest);
        if (actual != manifest.ModelHash)
        {
            throw new InvalidDataException($"{directory}: the files hash to {actual}, model.json says {manifest.ModelHash}; the set was altered");
        }

        var context = new MLContext(0);
        ITransformer Read(byte[] bytes)
        {
            using var stream = new MemoryStream(bytes);
            return context.Model.Load(stream, out _);
        }

        return new RiskModelSet(context, Read(files[0]), Read(files[1]), Read(files[2]), manifest, files);
    }

    private static ITransformer FitRegression(MLContext context, List<ExcursionRow> rows, RiskTrainingOptions options) =>
        WithMissingValues(context).Append(context.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
        {
            NumberOfTrees = options.Trees, NumberOfLeaves = 16, MinimumExampleCountPerLeaf = 50, LearningRate = 0.1,
            NumberOfThreads = 1, FeatureColumnName = ModelInput, LabelColumnName = "Label",
        })).Fit(context.Data.LoadFromEnumerable(rows));

    /// <summary>The column the trees read: the features with missing values filled, then one missing-flag per feature.</summary>
    internal const string ModelInput = "ModelInput";

    /// <summary>
    /// FastTree drops rows holding NaN, and most history lacks trade counts and taker volume. So a missing value
    /// stays missing in the data and is handled here: filled with the type default (a z-score's mean) and flagged,
    /// so the trees can still tell "absent" from "average".
    /// </summary>
    private static EstimatorChain<ColumnConcatenatingTransformer> WithMissingValues(MLContext context) =>
        context.Transforms.IndicateMissingValues("MissingFlags", "Features")
            .Append(context.Transforms.Conversion.ConvertType("MissingFlags", outputKind: DataKind.Single))
            .Append(context.Transforms.ReplaceMissingValues("Filled", "Features", Microsoft.ML.Transforms.MissingValueReplacingEstimator.ReplacementMode.DefaultValue))
            .Append(context.Transforms.Concatenate(ModelInput, "Filled", "MissingFlags"));

    /// <summary>
    /// Split-conformal: the ⌈(n+1)(1-α)⌉-th smallest residual on data the model did not see; adding it to a
    /// prediction gives an upper bound that holds with probability ≥ 1-α for exchangeable data.
    /// </summary>
    private static double ConformalOffset(MLContext context, ITransformer model, List<ExcursionRow> calibration, double coverage)
    {
        var residuals = Residuals(context, model, calibration).Order().ToArray();
        var rank = (int)Math.Ceiling((residuals.Length + 1) * coverage);
        return residuals[Math.Clamp(rank, 1, residuals.Length) - 1];
    }

    private static double Coverage(MLContext context, ITransformer model, double offset, List<ExcursionRow> rows) =>
        Math.Round(Residuals(context, model, rows).Count(r => r <= offset) / (double)rows.Count, 6);

    private static IEnumerable<double> Residuals(MLContext context, ITransformer model, List<ExcursionRow> rows)
    {
        var scores = model.Transform(context.Data.LoadFromEnumerable(rows)).GetColumn<float>("Score").ToArray();
        return rows.Select((row, i) => (double)row.Label - scores[i]);
    }

    // ML.NET's zip carries the save time in every entry; rewriting it with fixed timestamps and order makes the
    // bytes, and so the content address, depend on the model alone.
    private static byte[] Serialize(MLContext context, ITransformer model, Type rowType)
    {
        using var raw = new MemoryStream();
        context.Model.Save(model, SchemaFor(context, rowType), raw);
        raw.Position = 0;
        using var source = new ZipArchive(raw, ZipArchiveMode.Read);
        using var stable = new MemoryStream();
        using (var target = new ZipArchive(stable, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in source.Entries.OrderBy(e => e.FullName, StringComparer.Ordinal))
            {
                var copy = target.CreateEntry(entry.FullName, CompressionLevel.Optimal);
                copy.LastWriteTime = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
                using var from = entry.Open();
                using var to = copy.Open();
                from.CopyTo(to);
            }
        }

        return stable.ToArray();
    }

    private static DataViewSchema SchemaFor(MLContext context, Type rowType) =>
        rowType == typeof(ExcursionRow)
            ? context.Data.LoadFromEnumerable(Array.Empty<ExcursionRow>()).Schema
            : context.Data.LoadFromEnumerable(Array.Empty<RiskScoreRow>()).Schema;

    private static string Hash(byte[][] files, ModelManifest manifest)
    {
        var identity = string.Join('\n',
            string.Join(',', manifest.ExcursionFeatures), string.Join(',', manifest.RiskFeatures),
            manifest.LeverageCoverage.ToString("R", CultureInfo.InvariantCulture), manifest.LeverageOffset.ToString("R", CultureInfo.InvariantCulture),
            manifest.ThresholdCoverage.ToString("R", CultureInfo.InvariantCulture), manifest.ThresholdOffset.ToString("R", CultureInfo.InvariantCulture));
        using var all = new MemoryStream();
        foreach (var file in files)
        {
            all.Write(file);
        }

        all.Write(System.Text.Encoding.UTF8.GetBytes(identity));
        return Hex.Encode(Keccak.Hash(all.ToArray()));
    }
}
