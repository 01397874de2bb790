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
    /// <summary>Seed of everything random (ML.NET context, the drawn risk-score positions).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Coverage the validation metrics report the leverage quantile at (the engine's α is its own option).</summary>
    public double LeverageCoverage { get; init; } = 0.95;

    /// <summary>Coverage of the execution-window excursion quantile behind the maintenance margin.</summary>
    public double ThresholdCoverage { get; init; } = 0.99;

    /// <summary>Share of the window, after the training part, for calibration (conformal scores, isotonic steps).</summary>
    public double CalibrationShare { get; init; } = 0.15;

    /// <summary>Share of the window, at its end, held back for the validation metrics in <c>model.json</c>.</summary>
    public double ValidationShare { get; init; } = 0.15;

    /// <summary>Trees per model.</summary>
    public int Trees { get; init; } = 100;

    /// <summary>
    /// Real matured outcomes the risk score needs before it learns from them: below this many it trains on the simulated
    /// positions drawn on market history alone (<c>TrainingSet.RiskSamples</c>); from it on, the real ones join its trees'
    /// training rows. 500: a liquidation rate of a few percent then gives tens of real positives, enough for 16-leaf trees
    /// with 50 rows a leaf not to fit a handful of them.
    /// </summary>
    public int MinLiveOutcomes { get; init; } = 500;
}

/// <summary>
/// A real decision's matured outcome as a risk-score training row: the market at the decision, the side, the leverage and
/// maintenance margin the position took, and whether it was liquidated within 24 h (or its excursion reached <c>1/L − mm</c>).
/// </summary>
public sealed record LiveOutcome(DateTimeOffset DecidedAt, float[] MarketFeatures, bool IsLong, double Leverage, double MaintenanceMargin, bool Liquidated);

/// <summary>A model set's leverage quantile on a window: samples, empirical coverage, mean pinball loss.</summary>
public sealed record ModelEvaluation(int Samples, double Coverage, double PinballLoss);

/// <summary>What <c>model.json</c> holds besides the models: identity, window, schema, the model card and validation metrics.</summary>
public sealed record ModelManifest(
    string ModelHash,
    string Asset,
    IReadOnlyList<string> Assets,
    bool Pooled,
    IReadOnlyList<string> ExcursionFeatures,
    IReadOnlyList<string> RiskFeatures,
    double LeverageCoverage,
    double ThresholdCoverage,
    DateTimeOffset TrainedFrom,
    DateTimeOffset TrainedTo,
    DateTimeOffset CalibrationFrom,
    DateTimeOffset ValidationFrom,
    int Samples,
    IReadOnlyDictionary<string, string> ModelCard,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyList<ReliabilityBin> Reliability)
{
    /// <summary>True when this set may price <paramref name="asset"/>: a pooled set prices any asset, a per-asset set its own.</summary>
    public bool Prices(string asset) => Pooled || Assets.Contains(asset, StringComparer.Ordinal);
}

/// <summary>The calibration a set carries beside its trees (saved as <c>calibration.json</c>, part of the hash).</summary>
internal sealed record CalibrationData(ConformalScores Leverage, ConformalScores Threshold, IsotonicCalibration Risk);

/// <summary>
/// The FastTree models of one asset or a pool of assets: leverage (24 h excursion, with its residual-scale model),
/// threshold (execution-window excursion, with its scale model) and the risk score, with their calibration.
/// Content-addressed: <see cref="ModelHash"/> is keccak256 of the saved model files, the calibration and the schema,
/// so the hash a decision carries names exactly the models that made it. Saved files are byte-stable (zip entries
/// carry no timestamps), so training twice on the same data with the same seed gives the same hash.
/// </summary>
public sealed class RiskModelSet
{
    private static readonly string[] ModelFiles = ["leverage.zip", "leverage-scale.zip", "threshold.zip", "threshold-scale.zip", "risk.zip"];
    private const string CalibrationFile = "calibration.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private RiskModelSet(MLContext context, ExcursionModel leverage, ExcursionModel threshold, ITransformer riskScore, IsotonicCalibration riskCalibration,
        ModelManifest manifest, byte[][] files, byte[] calibration)
    {
        Context = context;
        Leverage = leverage;
        Threshold = threshold;
        RiskScore = riskScore;
        RiskTrees = CompiledTrees.From(riskScore, RiskScoreRow.Width);
        RiskCalibration = riskCalibration;
        Manifest = manifest;
        Files = files;
        CalibrationBytes = calibration;
    }

    /// <summary>0x-prefixed keccak256 of the model files, calibration and schema.</summary>
    public string ModelHash => Manifest.ModelHash;

    /// <summary>Identity, window, schema, model card and metrics.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>Feature names of the risk-score model, the widest input (in vector order).</summary>
    public IReadOnlyList<string> FeatureSchema => Manifest.RiskFeatures;

    internal MLContext Context { get; }

    internal ExcursionModel Leverage { get; }

    internal ExcursionModel Threshold { get; }

    internal ITransformer RiskScore { get; }

    internal CompiledTrees RiskTrees { get; }

    internal IsotonicCalibration RiskCalibration { get; }

    private byte[][] Files { get; }

    private byte[] CalibrationBytes { get; }

    /// <summary>Names of the excursion models' inputs.</summary>
    public static IReadOnlyList<string> ExcursionFeatureNames => ModelFeatures.ExcursionNames;

    /// <summary>Names of the risk-score model's inputs.</summary>
    public static IReadOnlyList<string> RiskFeatureNames => ModelFeatures.RiskNames;

    /// <summary>What the model card says about trader features (RISK.md: simulate traits that cause outcomes, or leave them out).</summary>
    public const string TraderFeaturesStatement =
        "left out: there are no real trader outcomes yet, and a simulated population whose traits do not cause its outcomes would only teach noise; " +
        "the engine accepts trader features (they enter featuresHash) but no model reads them";

    /// <summary>Trains one asset's set (see the pooled overload).</summary>
    public static RiskModelSet Train(
        CandleSeries series, DateTimeOffset from, DateTimeOffset to, RiskTrainingOptions? options = null, IReadOnlyList<LiveOutcome>? liveOutcomes = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        return Train([series], from, to, options, liveOutcomes);
    }

    /// <summary>
    /// Trains and calibrates on the candles with <c>from ≤ t</c> whose label horizons end strictly before <c>to</c>.
    /// One series gives a per-asset set; several give a pooled set on their volatility-normalised features, which
    /// prices any asset. The window is split in time: trees on the first part, calibration (conformal scores,
    /// isotonic steps) on the next, validation metrics on the last. With at least <see cref="RiskTrainingOptions.MinLiveOutcomes"/>
    /// <paramref name="liveOutcomes"/>, the risk score's trees also learn from those real outcomes (whenever they happened:
    /// they are training rows only, so calibration and the validation metrics stay on the market history's time split and
    /// compare with other sets'); <c>risk_live_outcomes</c> in the metrics says how many it learnt from.
    /// </summary>
    public static RiskModelSet Train(
        IReadOnlyList<CandleSeries> series, DateTimeOffset from, DateTimeOffset to, RiskTrainingOptions? options = null, IReadOnlyList<LiveOutcome>? liveOutcomes = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0)
        {
            throw new ArgumentException("training needs at least one candle series", nameof(series));
        }

        var assets = series.Select(s => s.Asset).ToList();
        if (assets.Distinct(StringComparer.Ordinal).Count() != assets.Count)
        {
            throw new ArgumentException($"each asset once: got {string.Join(", ", assets)} (merge files of one asset first)", nameof(series));
        }

        options ??= new RiskTrainingOptions();
        var samples = TrainingSet.Build(series, from, to);
        if (samples.Count < 500)
        {
            throw new ArgumentException($"{string.Join(", ", assets)}: {samples.Count} samples between {from:O} and {to:O}; training needs at least 500 hours", nameof(series));
        }

        var calibrationFrom = samples[(int)(samples.Count * (1 - options.CalibrationShare - options.ValidationShare))].Time;
        var validationFrom = samples[(int)(samples.Count * (1 - options.ValidationShare))].Time;
        var train = samples.Where(s => s.Time < calibrationFrom).ToList();
        var calibration = samples.Where(s => s.Time >= calibrationFrom && s.Time < validationFrom).ToList();
        var validation = samples.Where(s => s.Time >= validationFrom).ToList();

        var context = new MLContext(options.Seed);
        var leverage = ExcursionModel.Fit(context, train, calibration, TrainingSet.LongHorizon, (s, isLong) => s.Mae(isLong), options.Trees);
        var threshold = ExcursionModel.Fit(context, train, calibration, TrainingSet.ShortHorizon, (s, isLong) => s.Execution(isLong), options.Trees);

        var risk = TrainingSet.RiskSamples(samples, options.Seed);
        var live = LiveRows(liveOutcomes, options.MinLiveOutcomes);
        var riskScore = WithMissingValues(context).Append(context.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            NumberOfTrees = options.Trees, NumberOfLeaves = 16, MinimumExampleCountPerLeaf = 50, LearningRate = 0.1,
            NumberOfThreads = 1, FeatureColumnName = ModelInput, LabelColumnName = "Label",
        })).Fit(context.Data.LoadFromEnumerable(risk.Where(r => r.Time < calibrationFrom).Select(r => r.Row).Concat(live)));
        var riskTrees = CompiledTrees.From(riskScore, RiskScoreRow.Width);
        var isotonic = IsotonicCalibration.Fit(risk.Where(r => r.Time >= calibrationFrom && r.Time < validationFrom)
            .Select(r => (riskTrees.Score(r.Row.Features), r.Row.Label)).ToList());

        var validationMetrics = new ModelValidation(options, leverage, threshold, riskTrees, isotonic)
            .Measure(validation, risk.Where(r => r.Time < calibrationFrom).ToList(), risk.Where(r => r.Time >= validationFrom).ToList());
        if (live.Count > 0)
        {
            validationMetrics.Metrics["risk_live_outcomes"] = live.Count; // absent otherwise: a set trained as before keeps its hash
        }

        var files = new[]
        {
            Serialize(context, leverage.Mean, typeof(ExcursionRow)), Serialize(context, leverage.Scale, typeof(ExcursionRow)),
            Serialize(context, threshold.Mean, typeof(ExcursionRow)), Serialize(context, threshold.Scale, typeof(ExcursionRow)),
            Serialize(context, riskScore, typeof(RiskScoreRow)),
        };
        var calibrationBytes = JsonSerializer.SerializeToUtf8Bytes(new CalibrationData(leverage.Scores, threshold.Scores, isotonic));
        var manifest = new ModelManifest(
            "", string.Join('+', assets), assets, series.Count > 1, ExcursionFeatureNames, RiskFeatureNames, options.LeverageCoverage,
            options.ThresholdCoverage, samples[0].Time, to, calibrationFrom, validationFrom, samples.Count, ModelCard(series.Count > 1),
            validationMetrics.Metrics, validationMetrics.Reliability);
        manifest = manifest with { ModelHash = Hash(files, calibrationBytes, manifest) };
        return new RiskModelSet(context, leverage, threshold, riskScore, isotonic, manifest, files, calibrationBytes);
    }

    /// <summary>
    /// How the leverage quantile did on a window the set may not have seen: the share of 24 h excursions it covered
    /// and the pinball loss at its coverage level (a proper score for quantiles: lower is better), over both sides,
    /// with the fixed α of the manifest (no online adaptation), on the normalised log scale.
    /// </summary>
    public ModelEvaluation Evaluate(CandleSeries series, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(series);
        var samples = TrainingSet.Build(series, from, to);
        if (samples.Count == 0)
        {
            throw new ArgumentException($"no complete 24 h samples between {from:O} and {to:O}", nameof(series));
        }

        var (coverage, pinball, n) = ModelValidation.QuantileFit(Leverage, samples, 1 - Manifest.LeverageCoverage, (s, isLong) => s.Mae(isLong));
        return new ModelEvaluation(n, coverage, pinball);
    }

    /// <summary>The calibrated 24 h long excursion quantile for each feature vector at the manifest's coverage (for charts).</summary>
    public double[] LeverageQuantiles(IReadOnlyList<float[]> marketFeatures)
    {
        ArgumentNullException.ThrowIfNull(marketFeatures);
        return marketFeatures.Select(market =>
        {
            var features = ModelFeatures.Excursion(market, true);
            return Leverage.Quantile(market, Leverage.MeanTrees.Score(features), Leverage.ScaleTrees.Score(features), true, 1 - Manifest.LeverageCoverage);
        }).ToArray();
    }

    /// <summary>The horizon of the leverage quantile, in hours: a decision's outcome matures this long after it.</summary>
    public const int LeverageHorizonHours = TrainingSet.LongHorizon;

    /// <summary>The name of the manifest file, the one file of a set that is not hashed byte for byte.</summary>
    public const string ManifestFile = "model.json";

    /// <summary>Writes the model files, <c>calibration.json</c> and <c>model.json</c> into <paramref name="directory"/>.</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var (name, bytes) in ToFiles())
        {
            File.WriteAllBytes(Path.Combine(directory, name), bytes);
        }
    }

    /// <summary>
    /// Every file of the set by name, exactly as <see cref="Save"/> writes them: what a model store keeps under the
    /// set's hash, so that a set read back with <see cref="FromFiles"/> is the same set wherever it was saved.
    /// </summary>
    public IReadOnlyDictionary<string, byte[]> ToFiles()
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < ModelFiles.Length; i++)
        {
            files[ModelFiles[i]] = Files[i];
        }

        files[CalibrationFile] = CalibrationBytes;
        files[ManifestFile] = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(Manifest, Json) + "\n");
        return files;
    }

    /// <summary>Loads a saved set and checks its files against the hash in <c>model.json</c>.</summary>
    public static RiskModelSet Load(string directory)
    {
        var manifestPath = Path.Combine(directory, ManifestFile);
        if (!File.Exists(manifestPath))
        {
            throw new FileNotFoundException($"no model set in {directory}: model.json is missing (train one with ./aml train)", manifestPath);
        }

        var files = ModelFiles.Append(CalibrationFile).Append(ManifestFile)
            .Where(f => File.Exists(Path.Combine(directory, f)))
            .ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(directory, f)), StringComparer.Ordinal);
        return FromFiles(files, directory);
    }

    /// <summary>
    /// Reads a set from its files by name (as <see cref="ToFiles"/> gives them) and checks them against the hash in
    /// <c>model.json</c>; <paramref name="source"/> names where they came from in errors (a directory, a store row).
    /// </summary>
    public static RiskModelSet FromFiles(IReadOnlyDictionary<string, byte[]> files, string source)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (!files.TryGetValue(ManifestFile, out var manifestBytes))
        {
            throw new FileNotFoundException($"no model set in {source}: model.json is missing (train one with ./aml train)", ManifestFile);
        }

        var manifest = JsonSerializer.Deserialize<ModelManifest>(manifestBytes)
                       ?? throw new InvalidDataException($"{source}: model.json is empty");
        if (manifest.Assets is null || manifest.ExcursionFeatures is null || !manifest.ExcursionFeatures.SequenceEqual(ExcursionFeatureNames) ||
            manifest.RiskFeatures is null || !manifest.RiskFeatures.SequenceEqual(RiskFeatureNames))
        {
            throw new InvalidDataException($"{source}: model.json was written for another feature schema; retrain it with ./aml train");
        }

        var missing = ModelFiles.Append(CalibrationFile).Where(f => !files.ContainsKey(f)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidDataException($"{source}: {string.Join(", ", missing)} missing; retrain it with ./aml train");
        }

        var modelFiles = ModelFiles.Select(f => files[f]).ToArray();
        var calibrationBytes = files[CalibrationFile];
        var actual = Hash(modelFiles, calibrationBytes, manifest);
        if (actual != manifest.ModelHash)
        {
            throw new InvalidDataException($"{source}: the files hash to {actual}, model.json says {manifest.ModelHash}; the set was altered");
        }

        var calibration = JsonSerializer.Deserialize<CalibrationData>(calibrationBytes)
                          ?? throw new InvalidDataException($"{source}: {CalibrationFile} is empty");
        var context = new MLContext(0);
        ITransformer Read(byte[] bytes)
        {
            using var stream = new MemoryStream(bytes);
            return context.Model.Load(stream, out _);
        }

        return new RiskModelSet(context,
            new ExcursionModel(Read(modelFiles[0]), Read(modelFiles[1]), calibration.Leverage, TrainingSet.LongHorizon),
            new ExcursionModel(Read(modelFiles[2]), Read(modelFiles[3]), calibration.Threshold, TrainingSet.ShortHorizon),
            Read(modelFiles[4]), calibration.Risk, manifest, modelFiles, calibrationBytes);
    }

    // The real outcomes as risk-score rows, or none below the minimum (see RiskTrainingOptions.MinLiveOutcomes).
    private static List<RiskScoreRow> LiveRows(IReadOnlyList<LiveOutcome>? outcomes, int minimum)
    {
        if (outcomes is null || outcomes.Count < minimum)
        {
            return [];
        }

        var rows = new List<RiskScoreRow>(outcomes.Count);
        foreach (var outcome in outcomes)
        {
            if (outcome.MarketFeatures is null || outcome.MarketFeatures.Length != FeatureWindow.MarketFeatureNames.Count)
            {
                throw new ArgumentException($"liveOutcomes: the outcome of {outcome.DecidedAt:O} holds {outcome.MarketFeatures?.Length ?? 0} market features, not {FeatureWindow.MarketFeatureNames.Count}", nameof(outcomes));
            }

            if (!(outcome.Leverage >= 1) || !(outcome.MaintenanceMargin is >= 0 and < 1))
            {
                throw new ArgumentException($"liveOutcomes: the outcome of {outcome.DecidedAt:O} has leverage {outcome.Leverage} (≥ 1) or maintenance margin {outcome.MaintenanceMargin} (in [0, 1)) out of range", nameof(outcomes));
            }

            rows.Add(new RiskScoreRow { Features = ModelFeatures.Risk(outcome.MarketFeatures, outcome.IsLong, outcome.Leverage, outcome.MaintenanceMargin), Label = outcome.Liquidated });
        }

        return rows;
    }

    private static Dictionary<string, string> ModelCard(bool pooled) => new(StringComparer.Ordinal)
    {
        ["leverage"] = "FastTree regression of log(24 h max adverse excursion / σ_day) per position side, a second FastTree for the residual's " +
                       "scale; normalised split-conformal scores per side on the calibration window; α adapted online per side by RiskEngine.Observe (ACI)",
        ["threshold"] = $"the same over the {TrainingSet.ShortHorizon} h liquidation execution window, plus square-root impact and the liquidation penalty",
        ["risk"] = "FastTree classification of 'liquidated within 24 h at this leverage and this maintenance margin' on drawn positions " +
                   "(leverage log-uniform 1.5-50x, margin uniform 0.5-5 %), isotonic calibration on the calibration window",
        ["features"] = "volatility-normalised and asset-free (returns, ranges and drawdowns per realized vol; 24 h / 7 d regime; volume and trade " +
                       "z-scores; taker-buy ratio; hour and weekday)" + (pooled ? "; pooled over the listed assets, prices any asset" : ""),
        ["traderFeatures"] = TraderFeaturesStatement,
        ["validation"] = "metrics are measured on the last part of the window (validationFrom..trainedTo), which neither the trees nor the calibration saw",
    };

    /// <summary>The column the trees read: the features with missing values filled, then one missing-flag per feature.</summary>
    internal const string ModelInput = "ModelInput";

    /// <summary>
    /// FastTree drops rows holding NaN, and most history lacks trade counts and taker volume. So a missing value
    /// stays missing in the data and is handled here: filled with the type default (0: a z-score's mean) and flagged,
    /// so the trees can still tell "absent" from "average". <see cref="CompiledTrees"/> replicates this exactly.
    /// </summary>
    internal static EstimatorChain<ColumnConcatenatingTransformer> WithMissingValues(MLContext context) =>
        context.Transforms.IndicateMissingValues("MissingFlags", "Features")
            .Append(context.Transforms.Conversion.ConvertType("MissingFlags", outputKind: DataKind.Single))
            .Append(context.Transforms.ReplaceMissingValues("Filled", "Features", Microsoft.ML.Transforms.MissingValueReplacingEstimator.ReplacementMode.DefaultValue))
            .Append(context.Transforms.Concatenate(ModelInput, "Filled", "MissingFlags"));

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

    private static string Hash(byte[][] files, byte[] calibration, ModelManifest manifest)
    {
        var identity = string.Join('\n',
            string.Join(',', manifest.ExcursionFeatures), string.Join(',', manifest.RiskFeatures), string.Join(',', manifest.Assets),
            manifest.Pooled ? "pooled" : "per-asset",
            manifest.LeverageCoverage.ToString("R", CultureInfo.InvariantCulture), manifest.ThresholdCoverage.ToString("R", CultureInfo.InvariantCulture),
            manifest.TrainedFrom.ToString("O", CultureInfo.InvariantCulture), manifest.TrainedTo.ToString("O", CultureInfo.InvariantCulture));
        using var all = new MemoryStream();
        foreach (var file in files)
        {
            all.Write(file);
        }

        all.Write(calibration);
        all.Write(System.Text.Encoding.UTF8.GetBytes(identity));
        return Hex.Encode(Keccak.Hash(all.ToArray()));
    }
}
