using System.Buffers.Binary;
using Aml.Orleans.Ethereum;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;

namespace Aml.Orleans.Risk;

/// <summary>
/// Inference over a <see cref="RiskModelSet"/>: the maintenance margin (short-horizon excursion quantile + square-root
/// market impact + liquidation fee), the leverage cap <c>1 / (q24 + mm)</c>, and the calibrated probability of
/// liquidation within 24 h — clamped to the market's on-chain bounds, integers out. Deterministic: the same model
/// set and features give the same answer, and <see cref="RiskOutput.FeaturesHash"/> names those features exactly.
/// Thread-safe (one prediction engine per thread); <see cref="AssessBatch"/> scores many inputs in one pass.
/// </summary>
public sealed class RiskEngine : IDisposable
{
    private readonly RiskModelSet _models;
    private readonly ThreadLocal<Engines> _engines;

    /// <summary>Serves <paramref name="models"/>.</summary>
    public RiskEngine(RiskModelSet models)
    {
        ArgumentNullException.ThrowIfNull(models);
        _models = models;
        _engines = new ThreadLocal<Engines>(() => new Engines(
            models.Context.Model.CreatePredictionEngine<ExcursionRow, Score>(models.Leverage),
            models.Context.Model.CreatePredictionEngine<ExcursionRow, Score>(models.Threshold),
            models.Context.Model.CreatePredictionEngine<RiskScoreRow, Probability>(models.RiskScore)), trackAllValues: false);
    }

    /// <summary>The model set's hash.</summary>
    public string ModelHash => _models.ModelHash;

    /// <summary>Assesses one position.</summary>
    public RiskOutput Assess(RiskInput input, MarketBounds bounds)
    {
        Validate(input);
        var engines = _engines.Value!;
        var excursion = new ExcursionRow { Features = TrainingSet.ExcursionFeatures(input.MarketFeatures, input.IsLong) };
        var q24 = engines.Leverage.Predict(excursion).Value;
        var q1 = engines.Threshold.Predict(excursion).Value;
        var (leverageX100, marginBps, riskLeverage) = Terms(input, bounds, q24, q1);
        var probability = engines.RiskScore.Predict(new RiskScoreRow
        {
            Features = TrainingSet.RiskFeatures(input.MarketFeatures, input.IsLong, riskLeverage, input.Trader),
        }).Value;
        return new RiskOutput(leverageX100, marginBps, ScoreBps(probability), _models.ModelHash, FeaturesHash(input));
    }

    /// <summary>Assesses many positions in one pass per model.</summary>
    public RiskOutput[] AssessBatch(ReadOnlySpan<RiskInput> inputs, MarketBounds bounds)
    {
        var list = inputs.ToArray();
        foreach (var input in list)
        {
            Validate(input);
        }

        var context = _models.Context;
        var excursions = context.Data.LoadFromEnumerable(list.Select(i => new ExcursionRow { Features = TrainingSet.ExcursionFeatures(i.MarketFeatures, i.IsLong) }));
        var q24 = _models.Leverage.Transform(excursions).GetColumn<float>("Score").ToArray();
        var q1 = _models.Threshold.Transform(excursions).GetColumn<float>("Score").ToArray();
        var terms = list.Select((input, k) => Terms(input, bounds, q24[k], q1[k])).ToArray();
        var risk = context.Data.LoadFromEnumerable(list.Select((input, k) => new RiskScoreRow
        {
            Features = TrainingSet.RiskFeatures(input.MarketFeatures, input.IsLong, terms[k].RiskLeverage, input.Trader),
        }));
        var probabilities = _models.RiskScore.Transform(risk).GetColumn<float>("Probability").ToArray();
        return list.Select((input, k) =>
            new RiskOutput(terms[k].LeverageX100, terms[k].MarginBps, ScoreBps(probabilities[k]), _models.ModelHash, FeaturesHash(input))).ToArray();
    }

    /// <summary>The inputs that moved each model's answer most, largest first.</summary>
    public IReadOnlyList<Contribution> Explain(RiskInput input, int top)
    {
        Validate(input);
        var excursion = new[] { new ExcursionRow { Features = TrainingSet.ExcursionFeatures(input.MarketFeatures, input.IsLong) } };
        var risk = new[] { new RiskScoreRow { Features = TrainingSet.RiskFeatures(input.MarketFeatures, input.IsLong, input.RequestedLeverage, input.Trader) } };
        return Contributions("leverage", _models.Leverage, excursion, RiskModelSet.ExcursionFeatureNames)
            .Concat(Contributions("threshold", _models.Threshold, excursion, RiskModelSet.ExcursionFeatureNames))
            .Concat(Contributions("risk", _models.RiskScore, risk, RiskModelSet.RiskFeatureNames))
            .OrderByDescending(c => Math.Abs(c.Amount))
            .Take(top)
            .ToArray();
    }

    /// <summary>
    /// keccak256 of the canonical input bytes: every feature as a big-endian IEEE-754 float32 in schema order
    /// (market features, is_long, requested leverage, notional / 24 h quote volume, trader features), NaN as
    /// 0x7FC00000. This is the <c>featuresHash</c> a decision carries on-chain.
    /// </summary>
    public static string FeaturesHash(RiskInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        float[] all = [.. input.MarketFeatures, input.IsLong ? 1f : 0f, (float)input.RequestedLeverage, (float)input.NotionalToQuoteVolume, .. input.Trader.ToVector()];
        var bytes = new byte[all.Length * 4];
        for (var i = 0; i < all.Length; i++)
        {
            var bits = float.IsNaN(all[i]) ? 0x7FC00000 : BitConverter.SingleToInt32Bits(all[i]);
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * 4), bits);
        }

        return Hex.Encode(Keccak.Hash(bytes));
    }

    /// <inheritdoc />
    public void Dispose() => _engines.Dispose();

    private (uint LeverageX100, uint MarginBps, double RiskLeverage) Terms(RiskInput input, MarketBounds bounds, float leverageScore, float thresholdScore)
    {
        var manifest = _models.Manifest;
        var q24 = TrainingSet.FromLogExcursion(leverageScore + manifest.LeverageOffset);
        var q1 = TrainingSet.FromLogExcursion(thresholdScore + manifest.ThresholdOffset);
        // Square-root impact: closing a position worth a fraction f of a day's volume moves price ~ σ_day · √f.
        var dayVolatility = Finite(input.MarketFeatures[3]) * Math.Sqrt(24);
        var impact = dayVolatility * Math.Sqrt(Math.Max(0, input.NotionalToQuoteVolume));
        var margin = q1 + impact + (bounds.LiquidationFeeBps / 10_000.0);
        var marginBps = (uint)Math.Clamp(Math.Ceiling(margin * 10_000), bounds.MinMaintenanceBps, bounds.MaxMaintenanceBps);
        var cap = 1 / (q24 + (marginBps / 10_000.0));
        var leverageX100 = (uint)Math.Clamp(Math.Floor(cap * 100), bounds.MinLeverageX100, bounds.MaxLeverageX100);
        var riskLeverage = Math.Min(input.RequestedLeverage, leverageX100 / 100.0);
        return (leverageX100, marginBps, riskLeverage);
    }

    private static ushort ScoreBps(float probability) => (ushort)Math.Clamp(Math.Round(probability * 10_000), 0, 10_000);

    private static double Finite(float value) => float.IsFinite(value) ? value : 0;

    private static void Validate(RiskInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.MarketFeatures is null || input.MarketFeatures.Length != FeatureWindow.MarketFeatureNames.Count)
        {
            throw new ArgumentException($"marketFeatures must hold {FeatureWindow.MarketFeatureNames.Count} values in schema order", nameof(input));
        }

        if (!double.IsFinite(input.RequestedLeverage) || input.RequestedLeverage < 1)
        {
            throw new ArgumentException($"requestedLeverage {input.RequestedLeverage} must be at least 1", nameof(input));
        }
    }

    private IEnumerable<Contribution> Contributions<TRow>(string model, ITransformer transformer, TRow[] row, IReadOnlyList<string> names)
        where TRow : class
    {
        // The model is a chain: missing-value handling, then the trees. Contributions are the trees' own, per slot of
        // their input (the features, then their missing flags); a feature's value is reported as the caller gave it.
        if (transformer is not IEnumerable<ITransformer> chain || chain.ToList() is not { Count: > 0 } steps)
        {
            throw new InvalidOperationException($"the {model} model is not a transformer chain");
        }

        var context = _models.Context;
        var data = context.Data.LoadFromEnumerable(row);
        foreach (var step in steps.Take(steps.Count - 1))
        {
            data = step.Transform(data);
        }

        var slots = 2 * names.Count;
        IEstimator<ITransformer> calculator = steps[^1] switch
        {
            ISingleFeaturePredictionTransformer<ICalculateFeatureContribution> trees =>
                context.Transforms.CalculateFeatureContribution(trees, slots, slots, normalize: false),
            ISingleFeaturePredictionTransformer<CalibratedModelParametersBase<FastTreeBinaryModelParameters, PlattCalibrator>> calibrated =>
                context.Transforms.CalculateFeatureContribution(calibrated, slots, slots, normalize: false),
            _ => throw new InvalidOperationException($"the {model} model's last step is not a tree ensemble"),
        };
        var amounts = calculator.Fit(data).Transform(data).GetColumn<float[]>("FeatureContributions").First();
        var values = row[0] switch
        {
            ExcursionRow e => e.Features,
            RiskScoreRow r => r.Features,
            _ => [],
        };
        return names.Select((name, i) => new Contribution(model, name, values[i], amounts[i] + amounts[names.Count + i]));
    }

    private sealed record Engines(
        PredictionEngine<ExcursionRow, Score> Leverage,
        PredictionEngine<ExcursionRow, Score> Threshold,
        PredictionEngine<RiskScoreRow, Probability> RiskScore);

    private sealed class Score
    {
        [ColumnName("Score")]
        public float Value { get; set; }
    }

    private sealed class Probability
    {
        [ColumnName("Probability")]
        public float Value { get; set; }
    }
}
