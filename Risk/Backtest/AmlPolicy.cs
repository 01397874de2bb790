namespace Aml.Orleans.Risk.Backtest;

/// <summary>
/// The <c>aml</c> policy as the backtest sees it: the one file that follows the risk engine's API (the seam between
/// the two Risk halves). The knob the frontier sweeps is the engine's α (<see cref="RiskEngineOptions.LeverageAlpha"/>,
/// the target miss rate of the 24 h quantile behind the cap): one engine per α, each fed the same matured labels
/// through <see cref="RiskEngine.Observe"/> (adaptive conformal inference) so each adapts its own per-side α.
/// </summary>
public sealed class AmlPolicy : IDisposable
{
    /// <summary>What the knob is.</summary>
    public const string KnobName = "alpha";

    /// <summary>The knob at which the headline row is reported (95 % coverage).</summary>
    public const double DefaultKnob = 0.05;

    /// <summary>The knobs swept for the frontier, most permissive first.</summary>
    public static IReadOnlyList<double> Knobs { get; } = [0.3, 0.2, 0.1, 0.05, 0.02, 0.01];

    private readonly RiskEngine[] _engines;
    private readonly MarketBounds _bounds;

    // The α each engine priced a point's side at, until its label is observed: ACI judges a label at its decision's α.
    private readonly Dictionary<(DateTimeOffset Time, bool IsLong), double[]> _decided = [];

    /// <summary>Prices positions with <paramref name="models"/> under <paramref name="bounds"/>; <paramref name="options"/> apart from α (swept).</summary>
    public AmlPolicy(RiskModelSet models, MarketBounds bounds, RiskEngineOptions? options = null)
    {
        var template = options ?? new RiskEngineOptions();
        _engines = Knobs.Select(alpha => new RiskEngine(models, template with { LeverageAlpha = alpha })).ToArray();
        _bounds = bounds;
    }

    /// <summary>Trains the set for one walk-forward segment on <paramref name="data"/> (which ends before the segment).</summary>
    public static RiskModelSet Train(CandleSeries data, WalkForwardSegment segment, int trees) =>
        RiskModelSet.Train(data, segment.TrainFrom, segment.TrainTo, new RiskTrainingOptions { Trees = trees });

    /// <summary>End (exclusive) of the data the set was trained on.</summary>
    public static DateTimeOffset TrainedTo(RiskModelSet models) => models.Manifest.TrainedTo;

    /// <summary>
    /// Refuses a set that saw data at or after <paramref name="from"/>, or a per-asset set of another asset (RISK.md
    /// <c>--models</c>); the message names the dates and assets.
    /// </summary>
    public static void RequireUsable(RiskModelSet models, string asset, DateTimeOffset from)
    {
        ArgumentNullException.ThrowIfNull(models);
        var manifest = models.Manifest;
        if (manifest.TrainedTo > from)
        {
            throw new ArgumentException(
                $"--models {models.ModelHash[..10]}… was trained on data up to {manifest.TrainedTo:yyyy-MM-dd HH:mm}Z, at or after --from {from:yyyy-MM-dd HH:mm}Z: " +
                "a backtest must price only hours its models never saw (train with --to on or before --from)");
        }

        if (!manifest.Prices(asset))
        {
            throw new ArgumentException($"--models is a per-asset set for {string.Join(", ", manifest.Assets)}, not {asset}: train one for {asset} or use a pooled set");
        }
    }

    /// <summary>Bounds for an asset the deployment does not list: derived from its realized volatility before <paramref name="asOf"/>.</summary>
    public static MarketBounds DeriveBounds(CandleSeries series, DateTimeOffset asOf) => MarketBounds.Derive(series, asOf);

    /// <summary>The terms for one position at every knob of <see cref="Knobs"/>, from what is known at its decision point.</summary>
    public Terms[] Assess(DecisionPoint point, SimulatedPosition position)
    {
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(position);
        RiskInput[] input = [new(point.Features, position.IsLong, position.RequestedLeverage, position.RequestedNotional / point.QuoteVolume24h, TraderFeatures.Newcomer)];
        var outputs = _engines.Select(engine => engine.AssessBatch(input, _bounds)[0]).ToArray();
        _decided[(point.Time, position.IsLong)] = [.. outputs.Select(o => o.LeverageAlpha)];
        return [.. outputs.Select(o => new Terms(o.MaxLeverageX100 / 100.0, o.MaintenanceMarginBps / 10_000.0))];
    }

    /// <summary>Reports a matured 24 h label to every engine (the caller guarantees it matured before the next pricing).</summary>
    public void Observe(DecisionPoint point, bool isLong)
    {
        ArgumentNullException.ThrowIfNull(point);
        var input = new RiskInput(point.Features, isLong, 1, 0, TraderFeatures.Newcomer);
        // A point priced by an earlier segment's policy (the replayed week) is judged at the engine's current α.
        var decided = _decided.Remove((point.Time, isLong), out var alphas) ? alphas : null;
        for (var k = 0; k < _engines.Length; k++)
        {
            if (decided is null)
            {
                _engines[k].Observe(input, point.Excursion(isLong));
            }
            else
            {
                _engines[k].Observe(input, point.Excursion(isLong), decided[k]);
            }
        }
    }

    /// <summary>The model set's hash.</summary>
    public string ModelHash => _engines[0].ModelHash;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var engine in _engines)
        {
            engine.Dispose();
        }
    }
}
