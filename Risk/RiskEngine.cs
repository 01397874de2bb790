using System.Buffers.Binary;
using Aml.Orleans.Ethereum;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Aml.Orleans.Risk;

/// <summary>How an engine prices: the aml policy's knob and the adaptation of its calibration.</summary>
public sealed record RiskEngineOptions
{
    /// <summary>Target miss rate of the 24 h excursion quantile behind the cap (0.05 → 95 % coverage); the frontier sweeps it.</summary>
    public double LeverageAlpha { get; init; } = 0.05;

    /// <summary>
    /// ACI step γ: after each matured label, α_side += γ·(α - miss). Labels of overlapping 24 h windows miss together
    /// (one crash fails every position in flight), so the step is small: 0.005 held each side of BTC's held-back
    /// quarter within a point of 95 %, where 0.01-0.02 swung caps harder for no better coverage (Risk/README.md).
    /// </summary>
    public double AdaptationRate { get; init; } = 0.005;

    /// <summary>
    /// ACI's forgetting ρ: after each label's step, α_side += ρ·(α_target − α_side), so a burst of misses (or of hits)
    /// moves α at once and then fades with a half-life of ln 2 / ρ labels (≈ 14 at 0.05) instead of staying until later
    /// labels repay it. Plain ACI kept caps low for days after a storm, when the market had calmed and the withheld
    /// leverage was safest: on the development year (2023-09..2024-09) ρ = 0.05 with margin coverage 0.95 took aml's
    /// equal-leverage liquidation ratio from 2.05/2.85/2.77× to 1.00/1.14/1.44× (BTC/ETH/SOL), bad debt below
    /// volscaled's on all three (Risk/README.md). Not the default: α then stays within γ/ρ of target, and the held-back
    /// quarter of <c>ModelQualityTests</c> (BTC Q1 2022) covers shorts at 92.8 %, outside ±2 points; 0 is plain ACI.
    /// </summary>
    public double Forgetting { get; init; }

    /// <summary>The impact constant k of <c>k·σ_day·√(notional / day volume)</c> in the maintenance margin.</summary>
    public double ImpactCoefficient { get; init; } = 1.0;

    /// <summary>
    /// Coverage of the execution-window excursion quantile in the maintenance margin; null: the model set's
    /// (<see cref="ModelManifest.ThresholdCoverage"/>). The calibration scores serve any level, so this needs no retraining.
    /// </summary>
    public double? MarginCoverage { get; init; }
}

/// <summary>The engine's calibration state: the current α per side and how many labels moved it.</summary>
public sealed record CalibrationState(double AlphaLong, double AlphaShort, long Observations);

/// <summary>
/// Inference over a <see cref="RiskModelSet"/>: the maintenance margin (execution-window excursion quantile +
/// square-root market impact + liquidation fee), the leverage cap <c>1 / (q24 + mm)</c>, and the calibrated
/// probability of liquidation within 24 h at that cap and margin — clamped to the market's on-chain bounds, integers
/// out. The 24 h quantile's α adapts per side as labels mature (<see cref="Observe"/>, adaptive conformal inference);
/// the state is the engine's, deterministic given the sequence of observations, and every output states the α it
/// used, so model hash + features + α recompute the decision bit for bit.
/// <see cref="Assess"/> runs ML.NET's prediction engines (the reference path); <see cref="AssessBatch"/> scores the
/// same ensembles directly over the feature vectors, bit-identical and many times faster. Thread-safe.
/// </summary>
public sealed class RiskEngine : IDisposable
{
    private readonly RiskModelSet _models;
    private readonly RiskEngineOptions _options;
    private readonly ThreadLocal<Engines> _engines;
    private readonly Lazy<ContributionCalculators> _contributions;
    private readonly Lock _calibration = new();
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<RiskInput, StrongBox> _decidedAt = [];
    private double _alphaLong;
    private double _alphaShort;
    private long _observations;

    /// <summary>Serves <paramref name="models"/>.</summary>
    public RiskEngine(RiskModelSet models, RiskEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        _options = options ?? new RiskEngineOptions();
        if (!(_options.LeverageAlpha is > 0 and < 1) || !(_options.AdaptationRate >= 0) || !(_options.Forgetting is >= 0 and <= 1) || !(_options.ImpactCoefficient >= 0) ||
            _options.MarginCoverage is not (null or (> 0 and < 1)))
        {
            throw new ArgumentException(
                $"leverage α {_options.LeverageAlpha} and margin coverage {_options.MarginCoverage} must be in (0, 1), γ {_options.AdaptationRate} and k {_options.ImpactCoefficient} ≥ 0, forgetting ρ {_options.Forgetting} in [0, 1]", nameof(options));
        }

        _models = models;
        _alphaLong = _alphaShort = _options.LeverageAlpha;
        _engines = new ThreadLocal<Engines>(() => new Engines(
            Engine<ExcursionRow>(models.Leverage.Mean), Engine<ExcursionRow>(models.Leverage.Scale),
            Engine<ExcursionRow>(models.Threshold.Mean), Engine<ExcursionRow>(models.Threshold.Scale),
            Engine<RiskScoreRow>(models.RiskScore)), trackAllValues: false);
        // Fitted on the first explanation, not here: backtests build many engines and explain nothing.
        _contributions = new Lazy<ContributionCalculators>(() => new ContributionCalculators(models), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The model set's hash.</summary>
    public string ModelHash => _models.ModelHash;

    /// <summary>The current α per side and the number of labels observed.</summary>
    public CalibrationState Calibration
    {
        get
        {
            lock (_calibration)
            {
                return new CalibrationState(_alphaLong, _alphaShort, _observations);
            }
        }
    }

    /// <summary>Assesses one position through ML.NET's prediction engines.</summary>
    public RiskOutput Assess(RiskInput input, MarketBounds bounds)
    {
        Validate(input);
        var e = _engines.Value!;
        var excursion = new ExcursionRow { Features = ModelFeatures.Excursion(input.MarketFeatures, input.IsLong) };
        var scores = new Scores(e.Leverage.Predict(excursion).Value, e.LeverageScale.Predict(excursion).Value,
            e.Threshold.Predict(excursion).Value, e.ThresholdScale.Predict(excursion).Value);
        var alpha = Alpha(input.IsLong);
        var terms = Terms(input, bounds, scores, alpha);
        var raw = e.Risk.Predict(new RiskScoreRow { Features = terms.RiskFeatures }).Value;
        Remember(input, alpha);
        return Output(input, terms, raw, alpha);
    }

    /// <summary>
    /// Assesses many positions, scoring the tree ensembles directly (bit-identical to <see cref="Assess"/>). A batch does
    /// not remember its decisions' α per input object (that bookkeeping cost more than the trees): report their labels
    /// with the α each output states, <see cref="Observe(RiskInput, double, double)"/>.
    /// </summary>
    public RiskOutput[] AssessBatch(ReadOnlySpan<RiskInput> inputs, MarketBounds bounds)
    {
        foreach (var input in inputs)
        {
            Validate(input);
        }

        var (alphaLong, alphaShort) = (Alpha(true), Alpha(false));
        var outputs = new RiskOutput[inputs.Length];
        var chunk = new BatchBuffers(_models, Math.Min(inputs.Length, BatchBuffers.Rows));
        for (var start = 0; start < inputs.Length; start += BatchBuffers.Rows)
        {
            var part = inputs.Slice(start, Math.Min(BatchBuffers.Rows, inputs.Length - start));
            AssessChunk(part, bounds, alphaLong, alphaShort, chunk, outputs.AsSpan(start, part.Length));
        }

        return outputs;
    }

    /// <summary>
    /// Adaptive conformal inference: reports the realized 24 h adverse excursion of a position assessed at
    /// <paramref name="input"/>, once that label has matured. A miss — the excursion beyond the quantile at the α
    /// the decision used — lowers that side's α by γ(1-α); a hit raises it by γα, so the side's long-run miss rate
    /// tracks the target whatever the regime. The decision's α is remembered per input object (pass the instance
    /// that was assessed; an input this engine never assessed is judged at the side's current α). Judging at the
    /// current α instead would under-count misses in a crash, when α has already fallen since the decision. Call in
    /// time order, only with labels matured before the next pricing.
    /// </summary>
    public void Observe(RiskInput input, double realizedExcursion24h) => Observe(input, realizedExcursion24h, decidedAlpha: null);

    /// <summary>
    /// As <see cref="Observe(RiskInput, double)"/>, judging the label at <paramref name="decidedAlpha"/>: the
    /// <see cref="RiskOutput.LeverageAlpha"/> of the decision it belongs to (the way to report batched decisions).
    /// </summary>
    public void Observe(RiskInput input, double realizedExcursion24h, double decidedAlpha)
    {
        if (!double.IsFinite(decidedAlpha) || decidedAlpha >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(decidedAlpha), decidedAlpha, "the α a decision used is finite and below 1");
        }

        Observe(input, realizedExcursion24h, (double?)decidedAlpha);
    }

    private void Observe(RiskInput input, double realizedExcursion24h, double? decidedAlpha)
    {
        Validate(input);
        if (!double.IsFinite(realizedExcursion24h) || realizedExcursion24h < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(realizedExcursion24h), realizedExcursion24h, "a realized excursion is a finite fraction ≥ 0");
        }

        var features = ModelFeatures.Excursion(input.MarketFeatures, input.IsLong);
        var leverage = _models.Leverage;
        var label = TrainingSet.NormalisedLogExcursion(realizedExcursion24h, ModelFeatures.Scale(input.MarketFeatures, leverage.Horizon));
        var score = ExcursionModel.Score(leverage.MeanTrees.Score(features), leverage.ScaleTrees.Score(features), label);
        lock (_calibration)
        {
            ref var alpha = ref input.IsLong ? ref _alphaLong : ref _alphaShort;
            var decidedAt = decidedAlpha ?? (_decidedAt.TryGetValue(input, out var box) ? box.Alpha : alpha);
            var miss = score > leverage.Scores.Quantile(input.IsLong, decidedAt) ? 1 : 0;
            // Below 1/(n+1) the quantile is the calibration's largest score; α may still go below zero (ACI's "debt",
            // which is what restores coverage after a burst of misses), but not beyond -2α, where the debt would keep
            // caps at their lowest for weeks after the storm has passed; above, α stops at 0.5 (a median cap).
            alpha = Math.Clamp(alpha + (_options.AdaptationRate * (_options.LeverageAlpha - miss)), -2 * _options.LeverageAlpha, Math.Max(0.5, _options.LeverageAlpha));
            alpha += _options.Forgetting * (_options.LeverageAlpha - alpha);
            _observations++;
        }
    }

    /// <summary>The inputs that moved each model's answer most, largest first.</summary>
    public IReadOnlyList<Contribution> Explain(RiskInput input, int top) =>
        [.. ExplainAll(input).OrderByDescending(c => Math.Abs(c.Amount)).Take(top)];

    /// <summary>Every input's contribution to each model, model by model in schema order (the calculators fitted once).</summary>
    internal IEnumerable<Contribution> ExplainAll(RiskInput input)
    {
        var (excursion, risk) = ExplainedRows(input);
        return _contributions.Value.All(excursion, risk);
    }

    /// <summary>
    /// The explained rows: the excursion models' features, and the risk model's at the terms the input would get with
    /// the widest bounds (the explanation is of the models, not of the market's clamps).
    /// </summary>
    internal (float[] Excursion, float[] Risk) ExplainedRows(RiskInput input)
    {
        Validate(input);
        var terms = Terms(input, new MarketBounds(100, 100_000, 0, 10_000, 0), CompiledScores(input), Alpha(input.IsLong));
        return (ModelFeatures.Excursion(input.MarketFeatures, input.IsLong), terms.RiskFeatures);
    }

    /// <summary>
    /// keccak256 of the canonical input bytes (<see cref="FeatureBytes"/>). This is the <c>featuresHash</c> a decision
    /// carries on-chain.
    /// </summary>
    public static string FeaturesHash(RiskInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        // Written straight into a stack buffer: the batch path hashes every row, so no per-row arrays.
        Span<byte> bytes = stackalloc byte[FeatureByteCount(input)];
        WriteFeatureBytes(input, bytes);
        return Hex.Encode(Keccak.Hash(bytes));
    }

    /// <summary>
    /// The canonical input bytes, whose keccak256 is <see cref="FeaturesHash"/>: every feature as a big-endian IEEE-754
    /// float32 in schema order (market features, is_long, requested leverage, notional / 24 h quote volume, trader
    /// features), NaN as 0x7FC00000. What the outcome store keeps beside each decision.
    /// </summary>
    public static byte[] FeatureBytes(RiskInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var bytes = new byte[FeatureByteCount(input)];
        WriteFeatureBytes(input, bytes);
        return bytes;
    }

    private static int FeatureByteCount(RiskInput input) => (input.MarketFeatures.Length + 3 + TraderFeatures.Names.Count) * 4;

    private static void WriteFeatureBytes(RiskInput input, Span<byte> bytes)
    {
        var at = 0;
        foreach (var value in input.MarketFeatures)
        {
            at = Put(bytes, at, value);
        }

        at = Put(bytes, at, input.IsLong ? 1f : 0f);
        at = Put(bytes, at, (float)input.RequestedLeverage);
        at = Put(bytes, at, (float)input.NotionalToQuoteVolume);
        foreach (var value in input.Trader.ToVector())
        {
            at = Put(bytes, at, value);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _engines.Dispose();
        if (_contributions.IsValueCreated)
        {
            _contributions.Value.Dispose();
        }
    }

    // One feature as big-endian float32 (NaN canonical) at byte offset at; returns the next offset.
    private static int Put(Span<byte> bytes, int at, float value)
    {
        BinaryPrimitives.WriteInt32BigEndian(bytes[at..], float.IsNaN(value) ? 0x7FC00000 : BitConverter.SingleToInt32Bits(value));
        return at + 4;
    }

    private double Alpha(bool isLong)
    {
        lock (_calibration)
        {
            return isLong ? _alphaLong : _alphaShort;
        }
    }

    private void Remember(RiskInput input, double alpha) => _decidedAt.AddOrUpdate(input, new StrongBox(alpha));

    private Scores CompiledScores(RiskInput input)
    {
        var features = ModelFeatures.Excursion(input.MarketFeatures, input.IsLong);
        var (leverage, threshold) = (_models.Leverage, _models.Threshold);
        return new Scores(leverage.MeanTrees.Score(features), leverage.ScaleTrees.Score(features), threshold.MeanTrees.Score(features), threshold.ScaleTrees.Score(features));
    }

    // One chunk of a batch, each model's trees walked over all its rows at once (CompiledTrees scores rows in lockstep).
    // The four excursion ensembles read the same features, so their slots are filled once per row.
    private void AssessChunk(ReadOnlySpan<RiskInput> inputs, MarketBounds bounds, double alphaLong, double alphaShort, BatchBuffers buffers, Span<RiskOutput> outputs)
    {
        var n = inputs.Length;
        var (leverage, threshold, riskTrees) = (_models.Leverage, _models.Threshold, _models.RiskTrees);
        var excursionStride = leverage.MeanTrees.SlotsPerRow;
        var excursionSlots = buffers.ExcursionSlots.AsSpan(0, n * excursionStride);
        for (var k = 0; k < n; k++)
        {
            CompiledTrees.FillSlots(ModelFeatures.Excursion(inputs[k].MarketFeatures, inputs[k].IsLong), excursionSlots.Slice(k * excursionStride, excursionStride));
        }

        var scores = buffers.Scores.AsSpan(0, 4 * n);
        var mean = scores[..n];
        var scale = scores.Slice(n, n);
        var thresholdMean = scores.Slice(2 * n, n);
        var thresholdScale = scores.Slice(3 * n, n);
        leverage.MeanTrees.Score(excursionSlots, mean);
        leverage.ScaleTrees.Score(excursionSlots, scale);
        threshold.MeanTrees.Score(excursionSlots, thresholdMean);
        threshold.ScaleTrees.Score(excursionSlots, thresholdScale);

        var riskStride = riskTrees.SlotsPerRow;
        var riskSlots = buffers.RiskSlots.AsSpan(0, n * riskStride);
        var terms = buffers.Terms.AsSpan(0, n);
        for (var k = 0; k < n; k++)
        {
            var alpha = inputs[k].IsLong ? alphaLong : alphaShort;
            terms[k] = Terms(inputs[k], bounds, new Scores(mean[k], scale[k], thresholdMean[k], thresholdScale[k]), alpha);
            CompiledTrees.FillSlots(terms[k].RiskFeatures, riskSlots.Slice(k * riskStride, riskStride));
        }

        var raw = buffers.RawRisk.AsSpan(0, n);
        riskTrees.Score(riskSlots, raw);
        for (var k = 0; k < n; k++)
        {
            outputs[k] = Output(inputs[k], terms[k], raw[k], inputs[k].IsLong ? alphaLong : alphaShort);
        }
    }

    private Decision Terms(RiskInput input, MarketBounds bounds, Scores scores, double alpha)
    {
        var market = input.MarketFeatures;
        var q24 = _models.Leverage.Quantile(market, scores.Leverage, scores.LeverageScale, input.IsLong, alpha);
        var execution = _models.Threshold.Quantile(market, scores.Threshold, scores.ThresholdScale, input.IsLong, 1 - (_options.MarginCoverage ?? _models.Manifest.ThresholdCoverage));
        // Square-root impact: closing a position worth a fraction f of a day's volume moves price ~ k·σ_day·√f.
        var impact = _options.ImpactCoefficient * ModelFeatures.Scale(market, 24) * Math.Sqrt(Math.Max(0, input.NotionalToQuoteVolume));
        var margin = execution + impact + (bounds.LiquidationFeeBps / 10_000.0);
        var marginBps = (uint)Math.Clamp(Math.Ceiling(margin * 10_000), bounds.MinMaintenanceBps, bounds.MaxMaintenanceBps);
        var cap = 1 / (q24 + (marginBps / 10_000.0));
        var leverageX100 = (uint)Math.Clamp(Math.Floor(cap * 100), bounds.MinLeverageX100, bounds.MaxLeverageX100);
        var riskLeverage = Math.Min(input.RequestedLeverage, leverageX100 / 100.0);
        return new Decision(leverageX100, marginBps, ModelFeatures.Risk(market, input.IsLong, riskLeverage, marginBps / 10_000.0), q24);
    }

    private RiskOutput Output(RiskInput input, Decision terms, float rawRiskScore, double alpha) =>
        new(terms.LeverageX100, terms.MarginBps, ScoreBps(_models.RiskCalibration.Probability(rawRiskScore)), _models.ModelHash, FeaturesHash(input), alpha, terms.LeverageQuantile);

    private static ushort ScoreBps(double probability) => (ushort)Math.Clamp(Math.Round(probability * 10_000), 0, 10_000);

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

    private PredictionEngine<TRow, Score> Engine<TRow>(ITransformer model)
        where TRow : class => _models.Context.Model.CreatePredictionEngine<TRow, Score>(model);

    private sealed record StrongBox(double Alpha);

    // A batch's working arrays, sized for one chunk and reused by every chunk of the call.
    private sealed class BatchBuffers(RiskModelSet models, int rows)
    {
        // Rows per chunk: bounds the buffers of a large sweep, and a chunk's slots (≈ 60 KiB) stay in cache across the five ensembles.
        public const int Rows = 256;

        public float[] ExcursionSlots { get; } = new float[rows * models.Leverage.MeanTrees.SlotsPerRow];

        public float[] Scores { get; } = new float[4 * rows];

        public float[] RiskSlots { get; } = new float[rows * models.RiskTrees.SlotsPerRow];

        public Decision[] Terms { get; } = new Decision[rows];

        public float[] RawRisk { get; } = new float[rows];
    }

    private readonly record struct Scores(float Leverage, float LeverageScale, float Threshold, float ThresholdScale);

    private readonly record struct Decision(uint LeverageX100, uint MarginBps, float[] RiskFeatures, double LeverageQuantile);

    private sealed record Engines(
        PredictionEngine<ExcursionRow, Score> Leverage,
        PredictionEngine<ExcursionRow, Score> LeverageScale,
        PredictionEngine<ExcursionRow, Score> Threshold,
        PredictionEngine<ExcursionRow, Score> ThresholdScale,
        PredictionEngine<RiskScoreRow, Score> Risk);

    private sealed class Score
    {
        [ColumnName("Score")]
        public float Value { get; set; }
    }
}
