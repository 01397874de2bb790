using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Harness;

/// <summary>
/// The ceiling of σ-ranking: volscaled's formula and margin with the realized volatility of the position's own 24 h
/// (hourly log returns after the decision: foresight no policy has) instead of the last 24 h. Its frontier is read at
/// the mean leverage of each of volscaled's knobs, and of aml at α = 0.05. With a weight w below 1 the σ is the blend
/// w·σ_next 24 h + (1 − w)·σ_last 24 h: how much foresight a ratio needs.
/// </summary>
internal static class Oracle
{
    public static void Report(Market market, Terms[] aml, List<FrontierPoint> volscaled, double weight)
    {
        var hourly = market.Tape.Hourly;
        var future = market.Points.Select(p =>
        {
            double sum = 0;
            for (var j = 1; j <= 24; j++)
            {
                var r = Math.Log(hourly[p.Hour + j].Close / hourly[p.Hour + j - 1].Close);
                sum += r * r;
            }

            var past = float.IsFinite(p.Features[3]) ? p.Features[3] : 0.01;
            return (weight * Math.Sqrt(sum / 24)) + ((1 - weight) * past);
        }).ToArray();
        var frontier = SigmaPolicy.Frontier(market, future);
        var amlAt = Runner.Metrics(market, aml).MeanLeverage;
        foreach (var (label, leverage, rate, badDebt) in volscaled.Select(v => ($"volscaled k {v.Scale}", v.MeanLeverage, v.LiquidationRate, v.BadDebtBps))
                     .Append(("aml α 0.05", amlAt, Frontier.At(volscaled, amlAt).LiquidationRate, Frontier.At(volscaled, amlAt).BadDebtBps)))
        {
            var o = Frontier.At(frontier, leverage);
            Console.WriteLine($"{market.Asset} oracle w {weight} at {label,-16} {leverage:F2}x: liq {o.LiquidationRate:P2} vs volscaled {rate:P2} ({o.LiquidationRate / rate:F2}x{(o.Interpolated ? "" : ", outside")}), bd {o.BadDebtBps:F2} vs {badDebt:F2}");
        }
    }
}
