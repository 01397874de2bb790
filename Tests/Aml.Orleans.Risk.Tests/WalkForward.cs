namespace Aml.Orleans.Risk.Tests;

/// <summary>One priced position of a walk: what was asked, what the engine answered, what the next 24 h did.</summary>
internal sealed record WalkedPosition(DateTimeOffset Time, RiskInput Input, RiskOutput Output, double Mae)
{
    /// <summary>Survived its 24 h at the cap and margin it got: the excursion stayed short of <c>1/L - mm</c>.</summary>
    public bool Covered => Mae < (100.0 / Output.MaxLeverageX100) - (Output.MaintenanceMarginBps / 10_000.0);
}

/// <summary>
/// Prices every hour of a window on both sides, hour by hour, and reports each 24 h label to the engine only once it
/// has matured (24 h after its decision, before the next hour is priced): the walk-forward the simulator runs.
/// </summary>
internal static class WalkForward
{
    /// <summary>Bounds that never bind, so coverage measures the quantile and not a clamp.</summary>
    public static readonly MarketBounds Unbounded = new(100, 1_000_000, 0, 10_000, 100);

    public static List<WalkedPosition> Run(RiskEngine engine, CandleSeries series, DateTimeOffset from, DateTimeOffset to, MarketBounds? bounds = null, bool observe = true)
    {
        var candles = series.Candles;
        var window = new FeatureWindow();
        var pending = new Queue<WalkedPosition>();
        var priced = new List<WalkedPosition>();
        for (var t = 0; t + 24 < candles.Count; t++)
        {
            window.Add(candles[t]);
            var time = candles[t].OpenTime;
            while (observe && pending.Count > 0 && pending.Peek().Time.AddHours(24) <= time)
            {
                var matured = pending.Dequeue();
                engine.Observe(matured.Input, matured.Mae);
            }

            if (time < from || time >= to || candles[t + 24].OpenTime - time != TimeSpan.FromHours(24) || !window.TryGetMarketFeatures(out var features))
            {
                continue;
            }

            foreach (var isLong in (bool[])[true, false])
            {
                var input = new RiskInput(features, isLong, 1_000, 0.0001, TraderFeatures.Newcomer);
                var output = engine.Assess(input, bounds ?? Unbounded);
                var position = new WalkedPosition(time, input, output, Mae(candles, t, isLong));
                pending.Enqueue(position);
                priced.Add(position);
            }
        }

        return priced;
    }

    public static double Coverage(IEnumerable<WalkedPosition> positions, bool isLong) =>
        positions.Where(p => p.Input.IsLong == isLong).Average(p => p.Covered ? 1.0 : 0);

    private static double Mae(IReadOnlyList<Candle> candles, int t, bool isLong)
    {
        var path = candles.Skip(t + 1).Take(24).Select(c => isLong ? c.Low : c.High).ToArray();
        return isLong ? MaxAdverseExcursion.Long(candles[t].Close, path) : MaxAdverseExcursion.Short(candles[t].Close, path);
    }
}
