namespace Aml.Orleans.Risk.Backtest;

/// <summary>The policies compared side by side (RISK.md).</summary>
public enum Policy
{
    /// <summary>Fixed tiers as exchanges publish them: 20x cap, 2.5 % maintenance (clamped to the market's bounds).</summary>
    Static,

    /// <summary>The non-ML heuristic: cap = 1 / (3 σ_day + mm), σ_day the realized 24 h volatility; mm = 1 % + fee.</summary>
    VolScaled,

    /// <summary>The FastTree models through <see cref="RiskEngine"/>.</summary>
    Aml,
}

/// <summary>One policy's outcome over the window.</summary>
public sealed record PolicyResult(
    string Policy, int Positions, double LiquidationRate, double BadDebtBps, double MeanLeverage, double Coverage, double WorstLossBps);

/// <summary>A backtest's outcome, with the series the charts draw.</summary>
public sealed record BacktestResult(
    string Asset, DateTimeOffset From, DateTimeOffset To, string ModelHash, IReadOnlyList<PolicyResult> Policies, IReadOnlyList<BacktestPoint> Points);

/// <summary>One hour of the window: price, each policy's cap for a long, and the realized 24 h long excursion.</summary>
public sealed record BacktestPoint(DateTimeOffset Time, double Close, double StaticCap, double VolScaledCap, double AmlCap, double AmlQuantile, double RealizedExcursion);

/// <summary>
/// Every hour of the window, simulated positions open on both sides with a requested leverage drawn (fixed seed)
/// from {2, 3, 5, 10, 20, 25, 50}x; each policy caps it and sets the maintenance margin; the next 24 candles are
/// walked with each candle's adverse extreme. A candle that opens beyond the liquidation price fills at its open
/// (that gap is where bad debt comes from); otherwise a touched liquidation fills at the liquidation price.
/// </summary>
public static class Backtester
{
    /// <summary>Leverages the simulated traders ask for.</summary>
    public static readonly double[] RequestedLeverages = [2, 3, 5, 10, 20, 25, 50];

    private const int Horizon = TrainingSet.LongHorizon;
    private const double StaticCap = 20;
    private const double StaticMargin = 0.025;

    /// <summary>Runs the policies over <c>from ≤ t &lt; to</c> (positions need their 24 h inside the data).</summary>
    public static BacktestResult Run(
        CandleSeries series, DateTimeOffset from, DateTimeOffset to, RiskModelSet? models, MarketBounds bounds,
        IReadOnlyCollection<Policy> policies, int seed = 7, IProgress<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(policies);
        if (policies.Contains(Policy.Aml) && models is null)
        {
            throw new ArgumentException("the aml policy needs a model set", nameof(models));
        }

        var candles = series.Candles;
        var window = new FeatureWindow();
        var random = new Random(seed);
        var samples = new List<(int Index, float[] Features, bool IsLong, double Requested)>();
        for (var t = 0; t < candles.Count; t++)
        {
            window.Add(candles[t]);
            if (candles[t].OpenTime < from || candles[t].OpenTime >= to || t + Horizon >= candles.Count ||
                candles[t + Horizon].OpenTime - candles[t].OpenTime != series.Interval * Horizon || !window.TryGetMarketFeatures(out var features))
            {
                continue;
            }

            foreach (var isLong in (bool[])[true, false])
            {
                samples.Add((t, features, isLong, RequestedLeverages[random.Next(RequestedLeverages.Length)]));
            }
        }

        if (samples.Count == 0)
        {
            throw new ArgumentException($"no hour between {from:O} and {to:O} has features and a complete 24 h ahead", nameof(series));
        }

        var terms = new Dictionary<Policy, (double Cap, double Margin)[]>();
        foreach (var policy in policies)
        {
            terms[policy] = policy switch
            {
                Policy.Static => samples.Select(_ => Clamp(StaticCap, StaticMargin, bounds)).ToArray(),
                Policy.VolScaled => samples.Select(s => VolScaled(s.Features, bounds)).ToArray(),
                _ => AmlTerms(models!, samples, bounds),
            };
        }

        var results = new List<PolicyResult>();
        var done = 0;
        foreach (var policy in policies)
        {
            results.Add(Simulate(policy, samples, terms[policy], candles));
            progress?.Report(++done / (double)policies.Count);
        }

        var points = BuildPoints(models, samples, candles, bounds, terms);
        return new BacktestResult(series.Asset, from, to, models?.ModelHash ?? "", results, points);
    }

    private static PolicyResult Simulate(Policy policy, List<(int Index, float[] Features, bool IsLong, double Requested)> samples, (double Cap, double Margin)[] terms, IReadOnlyList<Candle> candles)
    {
        int liquidations = 0, atCap = 0, survivedAtCap = 0;
        double badDebt = 0, leverageSum = 0, worst = 0;
        for (var k = 0; k < samples.Count; k++)
        {
            var (index, _, isLong, requested) = samples[k];
            var (cap, margin) = terms[k];
            var leverage = Math.Min(requested, cap);
            leverageSum += leverage;
            var entry = candles[index].Close;
            // Collateral 1: size = leverage. Liquidated where equity = margin · size.
            var distance = (1 / leverage) - margin;
            var liquidationPrice = isLong ? entry * (1 - distance) : entry * (1 + distance);
            var liquidated = false;
            double loss = 0;
            for (var i = index + 1; i <= index + Horizon && !liquidated; i++)
            {
                var c = candles[i];
                var gapped = isLong ? c.Open <= liquidationPrice : c.Open >= liquidationPrice;
                var touched = isLong ? c.Low <= liquidationPrice : c.High >= liquidationPrice;
                if (gapped || touched)
                {
                    liquidated = true;
                    var fill = gapped ? c.Open : liquidationPrice;
                    var equity = 1 + (leverage * (isLong ? fill - entry : entry - fill) / entry);
                    loss = Math.Max(0, -equity);
                }
            }

            liquidations += liquidated ? 1 : 0;
            badDebt += loss;
            worst = Math.Max(worst, loss);
            if (requested >= cap)
            {
                atCap++;
                survivedAtCap += liquidated ? 0 : 1;
            }
        }

        var n = samples.Count;
        return new PolicyResult(
            policy.ToString().ToLowerInvariant(), n, Math.Round(liquidations / (double)n, 6), Math.Round(badDebt / n * 10_000, 4),
            Math.Round(leverageSum / n, 4), atCap == 0 ? 1 : Math.Round(survivedAtCap / (double)atCap, 6), Math.Round(worst * 10_000, 2));
    }

    private static (double Cap, double Margin)[] AmlTerms(
        RiskModelSet models, List<(int Index, float[] Features, bool IsLong, double Requested)> samples, MarketBounds bounds)
    {
        using var engine = new RiskEngine(models);
        var inputs = samples.Select(s => Input(s.Features, s.IsLong, s.Requested)).ToArray();
        var outputs = engine.AssessBatch(inputs, bounds);
        return outputs.Select(o => (o.MaxLeverageX100 / 100.0, o.MaintenanceMarginBps / 10_000.0)).ToArray();
    }

    // A 10,000 USD position: small against any day's volume, so the impact term stays the minor part it is for retail.
    private static RiskInput Input(float[] features, bool isLong, double requested) =>
        new(features, isLong, requested, 0.000001, TraderFeatures.Newcomer);

    private static (double Cap, double Margin) VolScaled(float[] features, MarketBounds bounds)
    {
        var dayVolatility = (float.IsFinite(features[3]) ? features[3] : 0.01) * Math.Sqrt(24);
        var margin = 0.01 + (bounds.LiquidationFeeBps / 10_000.0);
        return Clamp(1 / ((3 * dayVolatility) + margin), margin, bounds);
    }

    private static (double Cap, double Margin) Clamp(double cap, double margin, MarketBounds bounds)
    {
        var marginBps = Math.Clamp(Math.Ceiling(margin * 10_000), bounds.MinMaintenanceBps, bounds.MaxMaintenanceBps);
        var capX100 = Math.Clamp(Math.Floor(cap * 100), bounds.MinLeverageX100, bounds.MaxLeverageX100);
        return (capX100 / 100, marginBps / 10_000);
    }

    private static List<BacktestPoint> BuildPoints(
        RiskModelSet? models, List<(int Index, float[] Features, bool IsLong, double Requested)> samples, IReadOnlyList<Candle> candles,
        MarketBounds bounds, Dictionary<Policy, (double Cap, double Margin)[]> terms)
    {
        var longs = Enumerable.Range(0, samples.Count).Where(k => samples[k].IsLong).ToList();
        var quantiles = models is null ? null : models.LeverageQuantiles(longs.Select(k => samples[k].Features).ToArray());
        return longs.Select((k, j) =>
        {
            var (index, _, _, _) = samples[k];
            Span<double> lows = stackalloc double[Horizon];
            for (var i = 0; i < Horizon; i++)
            {
                lows[i] = candles[index + 1 + i].Low;
            }

            return new BacktestPoint(
                candles[index].OpenTime, candles[index].Close,
                terms.TryGetValue(Policy.Static, out var s) ? s[k].Cap : double.NaN,
                terms.TryGetValue(Policy.VolScaled, out var v) ? v[k].Cap : double.NaN,
                terms.TryGetValue(Policy.Aml, out var a) ? a[k].Cap : double.NaN,
                quantiles?[j] ?? double.NaN,
                MaxAdverseExcursion.Long(candles[index].Close, lows));
        }).ToList();
    }
}
