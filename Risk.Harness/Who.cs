using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Harness;

/// <summary>
/// Which positions aml liquidates that volscaled does not, at the same mean leverage: volscaled's k is solved by
/// bisection so that its mean leverage equals aml's (α = 0.05), then liquidations are split by whether each policy
/// capped the position, by requested leverage, and by the 24 h/7 d volatility ratio at the decision.
/// </summary>
internal static class Who
{
    public static void Report(Market market, Terms[] aml)
    {
        var amlOut = LiquidationSimulator.Run(market.Tape, market.Points, market.Positions, aml, market.Bounds.LiquidationFeeBps);
        var target = BacktestMetrics.Compute(market.Points, market.Positions, aml, amlOut).MeanLeverage;
        Terms[] Vol(double k) => [.. market.Positions.Select(p => Baselines.VolScaled(k, market.Points[p.Point].Features, market.Bounds))];
        double MeanLeverage(Terms[] t) => market.Positions.Select((p, i) => Math.Min(p.RequestedLeverage, t[i].Cap)).Average();
        var (lo, hi) = (0.5, 12.0);
        for (var step = 0; step < 40; step++)
        {
            var mid = (lo + hi) / 2;
            (lo, hi) = MeanLeverage(Vol(mid)) > target ? (mid, hi) : (lo, mid);
        }

        var vol = Vol(lo);
        var volOut = LiquidationSimulator.Run(market.Tape, market.Points, market.Positions, vol, market.Bounds.LiquidationFeeBps);
        var (amlMetrics, volMetrics) = (BacktestMetrics.Compute(market.Points, market.Positions, aml, amlOut), BacktestMetrics.Compute(market.Points, market.Positions, vol, volOut));
        Console.WriteLine($"{market.Asset}: aml mean leverage {target:F3}, volscaled k {lo:F3} gives {MeanLeverage(vol):F3}; liquidated aml {amlOut.Count(o => o.Liquidated)}, volscaled {volOut.Count(o => o.Liquidated)} of {amlOut.Length}; " +
            $"coverage at the cap aml {amlMetrics.CoverageLong:P1} / {amlMetrics.CoverageShort:P1}, volscaled {volMetrics.CoverageLong:P1} / {volMetrics.CoverageShort:P1}");
        void Split(string title, Func<int, string> key)
        {
            Console.WriteLine($"  by {title}: group: n | aml liq | vol liq | aml-only | vol-only | aml bd | vol bd (sum of bad debt / sum of collateral, bps)");
            foreach (var group in Enumerable.Range(0, amlOut.Length).GroupBy(key).OrderBy(g => g.Key))
            {
                var ids = group.ToList();
                var collateral = ids.Sum(i => market.Positions[i].Collateral);
                Console.WriteLine($"    {group.Key,-22} {ids.Count,6} | {ids.Count(i => amlOut[i].Liquidated),5} | {ids.Count(i => volOut[i].Liquidated),5} | " +
                    $"{ids.Count(i => amlOut[i].Liquidated && !volOut[i].Liquidated),5} | {ids.Count(i => volOut[i].Liquidated && !amlOut[i].Liquidated),5} | " +
                    $"{ids.Sum(i => amlOut[i].BadDebt) / collateral * 1e4,7:F2} | {ids.Sum(i => volOut[i].BadDebt) / collateral * 1e4,7:F2}");
            }
        }

        Split("who caps", i => $"aml {(amlOut[i].AtCap ? "cap" : "free")}, vol {(volOut[i].AtCap ? "cap" : "free")}");
        Split("requested leverage", i => market.Positions[i].RequestedLeverage switch { < 3 => "a <3x", < 6 => "b 3-6x", < 12 => "c 6-12x", < 25 => "d 12-25x", _ => "e 25x+" });
        Split("vol ratio 24h/7d", i => market.Points[market.Positions[i].Point].Features[6] switch { < 0.7f => "a <0.7 calming", < 1.3f => "b 0.7-1.3", _ => "c >1.3 rising" });
        Split("margin aml-vol", i => (aml[i].Margin - vol[i].Margin) switch { < 0.005 => "a <0.5pt", < 0.01 => "b 0.5-1pt", < 0.02 => "c 1-2pt", _ => "d >2pt" });
    }
}
