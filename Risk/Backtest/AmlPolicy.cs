namespace Aml.Orleans.Risk.Backtest;

/// <summary>
/// The <c>aml</c> policy as the backtest sees it: the one file that follows the risk engine's API
/// (../shared: briefs' seam). Today's engine has one fixed 95 % leverage quantile and no online feedback, so the
/// knob the frontier sweeps is a <b>scale on the calibrated 24 h excursion quantile</b> (1 = the engine's own cap;
/// 2 = as if the adverse move were twice as large), and <see cref="Observe"/> records nothing. When the engine takes
/// α (<c>RiskEngineOptions.LeverageAlpha</c>) and <c>Observe</c>, only this file changes: one engine per α.
/// </summary>
public sealed class AmlPolicy : IDisposable
{
    /// <summary>What the knob is.</summary>
    public const string KnobName = "quantile scale";

    /// <summary>The knob at which the headline row is reported (the engine's own answer).</summary>
    public const double DefaultKnob = 1;

    /// <summary>The knobs swept for the frontier, most permissive first.</summary>
    public static IReadOnlyList<double> Knobs { get; } = [0.5, 0.75, 1, 1.5, 2, 3];

    private readonly RiskEngine _engine;
    private readonly MarketBounds _bounds;

    /// <summary>Prices positions with <paramref name="models"/> under <paramref name="bounds"/>.</summary>
    public AmlPolicy(RiskModelSet models, MarketBounds bounds)
    {
        _engine = new RiskEngine(models);
        _bounds = bounds;
    }

    /// <summary>Trains the set for one walk-forward segment on <paramref name="data"/> (which ends before the segment).</summary>
    public static RiskModelSet Train(CandleSeries data, WalkForwardSegment segment, int trees) =>
        RiskModelSet.Train(data, segment.TrainFrom, segment.TrainTo, new RiskTrainingOptions { Trees = trees });

    /// <summary>End (exclusive) of the data the set was trained on.</summary>
    public static DateTimeOffset TrainedTo(RiskModelSet models) => models.Manifest.TrainTo;

    /// <summary>
    /// Refuses a set that saw data at or after <paramref name="from"/>, or a per-asset set of another asset (RISK.md
    /// <c>--models</c>); the message names the dates and assets.
    /// </summary>
    public static void RequireUsable(RiskModelSet models, string asset, DateTimeOffset from)
    {
        ArgumentNullException.ThrowIfNull(models);
        var manifest = models.Manifest;
        if (manifest.TrainTo > from)
        {
            throw new ArgumentException(
                $"--models {models.ModelHash[..10]}… was trained on data up to {manifest.TrainTo:yyyy-MM-dd HH:mm}Z, at or after --from {from:yyyy-MM-dd HH:mm}Z: " +
                "a backtest must price only hours its models never saw (train with --to on or before --from)");
        }

        if (manifest.Asset != asset)
        {
            throw new ArgumentException($"--models is a per-asset set for {manifest.Asset}, not {asset}: train one for {asset} or use a pooled set");
        }
    }

    /// <summary>Bounds for an asset the deployment does not list. Today's engine cannot derive them.</summary>
    public static MarketBounds DeriveBounds(CandleSeries series, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(series);
        throw new ArgumentException($"no market bounds listed for {series.Asset} (listed: BTC-USD, ETH-USD, SOL-USD, DOGE-USD), and this engine cannot derive them from volatility before {asOf:yyyy-MM-dd}");
    }

    /// <summary>The terms for one position at every knob of <see cref="Knobs"/>, from what is known at its decision point.</summary>
    public Terms[] Assess(DecisionPoint point, SimulatedPosition position)
    {
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(position);
        var input = new RiskInput(point.Features, position.IsLong, position.RequestedLeverage, position.RequestedNotional / point.QuoteVolume24h, TraderFeatures.Newcomer);
        var output = _engine.Assess(input, _bounds);
        var cap = output.MaxLeverageX100 / 100.0;
        var margin = output.MaintenanceMarginBps / 10_000.0;
        var quantile = Math.Max(0, (1 / cap) - margin);
        return Knobs.Select(k => k == DefaultKnob ? new Terms(cap, margin) : new Terms(ClampCap(1 / ((k * quantile) + margin)), margin)).ToArray();
    }

    /// <summary>Reports a matured 24 h label (adaptive conformal feedback). Today's engine has none: nothing is recorded.</summary>
    public void Observe(DecisionPoint point, bool isLong)
    {
        ArgumentNullException.ThrowIfNull(point);
        _ = isLong;
    }

    /// <summary>The model set's hash.</summary>
    public string ModelHash => _engine.ModelHash;

    /// <inheritdoc />
    public void Dispose() => _engine.Dispose();

    private double ClampCap(double cap) => Math.Clamp(Math.Floor(cap * 100), _bounds.MinLeverageX100, _bounds.MaxLeverageX100) / 100;
}
