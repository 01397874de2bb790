using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Harness;

/// <summary>
/// volscaled's formula and margin, 1/(k·σ·√24 + 1 % + penalty), on a σ per decision point other than σ_24h (D3's
/// foresight blend, H13's forecasts): its frontier over k, and the k whose mean leverage equals a given one.
/// </summary>
internal static class SigmaPolicy
{
    private static readonly double[] Ks = [0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 12];

    public static Terms[] Terms(Market market, double[] sigma, double k)
    {
        var margin = 0.01 + (market.Bounds.LiquidationFeeBps / 10_000.0);
        return [.. market.Positions.Select(p => Baselines.Clamp(1 / ((k * sigma[p.Point] * Math.Sqrt(24)) + margin), margin, market.Bounds))];
    }

    public static List<FrontierPoint> Frontier(Market market, double[] sigma) =>
        Ks.Select(k =>
        {
            var m = Runner.Metrics(market, Terms(market, sigma, k));
            return new FrontierPoint(k, m.MeanLeverage, m.LiquidationRate, m.BadDebtBps);
        }).ToList();

    /// <summary>The k (by bisection) at which the policy's mean leverage is <paramref name="meanLeverage"/>, and its metrics there.</summary>
    public static (double K, PolicyMetrics Metrics) At(Market market, double[] sigma, double meanLeverage)
    {
        double MeanLeverage(Terms[] t) => market.Positions.Select((p, i) => Math.Min(p.RequestedLeverage, t[i].Cap)).Average();
        var (lo, hi) = (Ks[0], Ks[^1]);
        for (var step = 0; step < 30; step++)
        {
            var mid = (lo + hi) / 2;
            (lo, hi) = MeanLeverage(Terms(market, sigma, mid)) > meanLeverage ? (mid, hi) : (lo, mid);
        }

        return (lo, Runner.Metrics(market, Terms(market, sigma, lo)));
    }
}
