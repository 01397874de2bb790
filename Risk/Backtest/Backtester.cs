using Aml.Orleans.Ethereum;

namespace Aml.Orleans.Risk.Backtest;

/// <summary>How a backtest runs (defaults are the README's).</summary>
public sealed record BacktestOptions
{
    /// <summary>Policies to run.</summary>
    public IReadOnlyCollection<Policy> Policies { get; init; } = [Policy.Static, Policy.VolScaled, Policy.Aml];

    /// <summary>Seed of the simulated order flow.</summary>
    public int Seed { get; init; } = 7;

    /// <summary>The impact constant k of the fill (a property of the market, the same for every policy).</summary>
    public double ImpactConstant { get; init; } = CascadeBook.DefaultImpactConstant;

    /// <summary>Walk-forward schedule (used when no fixed model set is given).</summary>
    public WalkForwardSchedule Schedule { get; init; } = WalkForwardSchedule.Default;

    /// <summary>Trees per model in walk-forward training.</summary>
    public int Trees { get; init; } = 40;

    /// <summary>aml's margin coverage (<see cref="RiskEngineOptions.MarginCoverage"/>); null: the model set's.</summary>
    public double? MarginCoverage { get; init; }

    /// <summary>aml's ACI forgetting (<see cref="RiskEngineOptions.Forgetting"/>); 0: plain ACI, the engine's default.</summary>
    public double Forgetting { get; init; }
}

/// <summary>One policy's headline metrics (at its default knob) and its frontier.</summary>
public sealed record PolicyResult(string Policy, double Knob, PolicyMetrics Metrics, IReadOnlyList<FrontierPoint> Frontier);

/// <summary>The model set that priced one stretch of the window.</summary>
public sealed record ModelSegment(DateTimeOffset From, DateTimeOffset To, DateTimeOffset TrainedTo, string ModelHash);

/// <summary>One hour of the window for the charts: price, each policy's long cap, aml's implied quantile per side, realized excursions.</summary>
public sealed record BacktestPoint(
    DateTimeOffset Time, double Close, double StaticCap, double VolScaledCap, double AmlCap,
    double AmlQuantileLong, double AmlQuantileShort, double RealizedLong, double RealizedShort);

/// <summary>A backtest's outcome.</summary>
public sealed record BacktestResult(
    string Asset, DateTimeOffset From, DateTimeOffset To, string ModelHash, IReadOnlyList<ModelSegment> Models,
    IReadOnlyList<PolicyResult> Policies, Comparison? Comparison, IReadOnlyList<BacktestPoint> Points, int FineHours);

/// <summary>
/// RISK.md's backtest: positions every hour of <c>[from, to)</c> on both sides (<see cref="TraderMix"/>), each policy's
/// knob swept, liquidations executed on the tape (<see cref="LiquidationSimulator"/>), aml priced walk-forward
/// (<see cref="WalkForwardSchedule"/>) or by a fixed set trained before <c>from</c>, its adaptive feedback fed only
/// labels matured before the hour it prices. Every policy and knob gets the same positions and price paths.
/// </summary>
public static class Backtester
{
    /// <summary>Runs the backtest. Without <paramref name="models"/>, aml is trained walk-forward.</summary>
    public static BacktestResult Run(
        MarketTape tape, CandleSeries hourly, DateTimeOffset from, DateTimeOffset to, MarketBounds bounds, RiskModelSet? models = null,
        BacktestOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(hourly);
        ArgumentNullException.ThrowIfNull(bounds);
        options ??= new BacktestOptions();
        var points = DecisionPoints.Build(tape, from, to);
        if (points.Count == 0)
        {
            throw new ArgumentException($"{hourly.Asset}: no hour between {from:yyyy-MM-dd HH:mm} and {to:yyyy-MM-dd HH:mm} has features and a complete 24 h ahead");
        }

        if (models is not null)
        {
            AmlPolicy.RequireUsable(models, hourly.Asset, from);
        }

        var positions = TraderMix.Draw(points, options.Seed);
        var results = new List<PolicyResult>();
        var headlineTerms = new Dictionary<Policy, Terms[]>();
        IReadOnlyList<ModelSegment> segments = [];
        foreach (var policy in options.Policies.Distinct().Order())
        {
            var (knobs, terms) = policy switch
            {
                Policy.Static => (Baselines.StaticScales, Baselines.StaticScales.Select(s => positions.Select(_ => Baselines.Static(s, bounds)).ToArray()).ToArray()),
                Policy.VolScaled => (Baselines.VolScaledKs, Baselines.VolScaledKs.Select(k => positions.Select(p => Baselines.VolScaled(k, points[p.Point].Features, bounds)).ToArray()).ToArray()),
                _ => (AmlPolicy.Knobs, AmlTerms(hourly, points, positions, bounds, models, options, out segments)),
            };
            var defaultKnob = policy switch { Policy.Static => 1, Policy.VolScaled => Baselines.DefaultK, _ => AmlPolicy.DefaultKnob };
            var frontier = new List<FrontierPoint>();
            PolicyMetrics? headline = null;
            for (var k = 0; k < knobs.Count; k++)
            {
                var outcomes = LiquidationSimulator.Run(tape, points, positions, terms[k], bounds.LiquidationFeeBps, options.ImpactConstant);
                var metrics = BacktestMetrics.Compute(points, positions, terms[k], outcomes);
                frontier.Add(new FrontierPoint(knobs[k], metrics.MeanLeverage, metrics.LiquidationRate, metrics.BadDebtBps));
                if (knobs[k] == defaultKnob)
                {
                    headline = metrics;
                    headlineTerms[policy] = terms[k];
                }
            }

            results.Add(new PolicyResult(policy.ToString().ToLowerInvariant(), defaultKnob, headline!, frontier));
        }

        return new BacktestResult(
            hourly.Asset, from, to, CombinedHash(segments), segments, results, Compare(results), Points(points, headlineTerms), tape.FineHours);
    }

    // The segments' sets (trained two at a time, or the one fixed set), then the pricing.
    private static Terms[][] AmlTerms(
        CandleSeries hourly, List<DecisionPoint> points, List<SimulatedPosition> positions, MarketBounds bounds, RiskModelSet? fixedModels,
        BacktestOptions options, out IReadOnlyList<ModelSegment> used)
    {
        var segments = fixedModels is null
            ? options.Schedule.Segments(points[0].Time, points[^1].Time + TimeSpan.FromTicks(1))
            : [new WalkForwardSegment(points[0].Time, points[^1].Time + TimeSpan.FromTicks(1), DateTimeOffset.MinValue, AmlPolicy.TrainedTo(fixedModels))];
        var sets = new RiskModelSet[segments.Count];
        Parallel.For(0, segments.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, s =>
            sets[s] = fixedModels ?? AmlPolicy.Train(WalkForwardSchedule.TrainingData(hourly, segments[s]), segments[s], options.Trees));

        used = [.. segments.Select((segment, s) => new ModelSegment(segment.From, segment.To, AmlPolicy.TrainedTo(sets[s]), sets[s].ModelHash))];
        return PriceSegments(points, positions, bounds, segments, sets, new RiskEngineOptions { MarginCoverage = options.MarginCoverage, Forgetting = options.Forgetting });
    }

    /// <summary>
    /// aml's terms per knob, then per position: each segment priced by its set, hour by hour in time order — first
    /// every label matured by this hour is reported, then the hour's positions are priced.
    /// </summary>
    internal static Terms[][] PriceSegments(
        List<DecisionPoint> points, List<SimulatedPosition> positions, MarketBounds bounds, IReadOnlyList<WalkForwardSegment> segments, RiskModelSet[] sets,
        RiskEngineOptions engineOptions)
    {
        var terms = AmlPolicy.Knobs.Select(_ => new Terms[positions.Count]).ToArray();
        for (var s = 0; s < segments.Count; s++)
        {
            var segment = segments[s];
            using var policy = new AmlPolicy(sets[s], bounds, engineOptions);
            var first = points.FindIndex(p => p.Time >= segment.From);
            // A new set starts its adaptation from the labels of the week before the segment that have matured by then
            // (the window's own earlier hours: known before the segment, so still honest).
            var matured = points.FindIndex(p => p.Time >= segment.From - TimeSpan.FromDays(7));
            for (var p = first; p < points.Count && points[p].Time < segment.To; p++)
            {
                if (AmlPolicy.TrainedTo(sets[s]) > points[p].Time)
                {
                    throw new InvalidOperationException($"walk-forward: a set trained to {AmlPolicy.TrainedTo(sets[s]):O} would price {points[p].Time:O}");
                }

                for (; matured < p && points[matured].LabelMatures <= points[p].Time; matured++)
                {
                    policy.Observe(points[matured], isLong: true);
                    policy.Observe(points[matured], isLong: false);
                }

                for (var side = 0; side < 2; side++)
                {
                    var i = (2 * p) + side;
                    var perKnob = policy.Assess(points[p], positions[i]);
                    for (var k = 0; k < perKnob.Length; k++)
                    {
                        terms[k][i] = perKnob[k];
                    }
                }
            }
        }

        return terms;
    }

    private static Comparison? Compare(List<PolicyResult> results)
    {
        if (results.FirstOrDefault(r => r.Policy == "aml") is not { } aml)
        {
            return null;
        }

        var at = aml.Metrics.MeanLeverage;
        PolicyAt? On(string name) => results.FirstOrDefault(r => r.Policy == name) is { } r ? Frontier.At(r.Frontier, at) : null;
        return new Comparison(at, new PolicyAt(aml.Metrics.LiquidationRate, aml.Metrics.BadDebtBps, true), On("volscaled"), On("static"));
    }

    private static string CombinedHash(IReadOnlyList<ModelSegment> segments) => segments.Count switch
    {
        0 => "",
        1 => segments[0].ModelHash,
        _ => Hex.Encode(Keccak.Hash(System.Text.Encoding.UTF8.GetBytes(string.Join(',', segments.Select(s => s.ModelHash))))),
    };

    private static List<BacktestPoint> Points(List<DecisionPoint> points, Dictionary<Policy, Terms[]> terms)
    {
        double Cap(Policy policy, int i) => terms.TryGetValue(policy, out var t) ? t[i].Cap : double.NaN;
        double Quantile(int i) => terms.TryGetValue(Policy.Aml, out var t) ? Math.Max(0, (1 / t[i].Cap) - t[i].Margin) : double.NaN;
        return points.Select((p, j) => new BacktestPoint(
            p.Time, p.Close, Cap(Policy.Static, 2 * j), Cap(Policy.VolScaled, 2 * j), Cap(Policy.Aml, 2 * j),
            Quantile(2 * j), Quantile((2 * j) + 1), p.LongExcursion24h, p.ShortExcursion24h)).ToList();
    }
}
