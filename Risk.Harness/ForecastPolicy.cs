using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Harness;

/// <summary>
/// H13: volscaled's formula and margin on σ = a D4 forecast (its median, exp of the forecast log σ; the k sweep makes a
/// constant scale irrelevant), read at aml's mean leverage (α = 0.05) and at each volscaled knob's, against volscaled.
/// </summary>
internal static class ForecastPolicy
{
    public static void Report(Market market, Terms[] aml, List<FrontierPoint> volscaled, string name)
    {
        var (_, _, forecasts) = Skill.Candidates(market);
        var forecast = forecasts.Single(f => f.Name == name);
        var sigma = market.Points.Select(p => forecast.ByHour.TryGetValue(p.Hour, out var f) ? Math.Exp(f.LogSigma) : p.Features[3]).ToArray();
        var frontier = SigmaPolicy.Frontier(market, sigma);
        foreach (var v in volscaled)
        {
            var o = Frontier.At(frontier, v.MeanLeverage);
            Console.WriteLine($"{market.Asset} forecast {name} at volscaled k {v.Scale,-3} {v.MeanLeverage:F2}x: {o.LiquidationRate / v.LiquidationRate:F2}x{(o.Interpolated ? "" : " (outside)")} | liq {o.LiquidationRate:P2} vs {v.LiquidationRate:P2} | bd {o.BadDebtBps:F2} vs {v.BadDebtBps:F2}");
        }

        var amlAt = Runner.Metrics(market, aml).MeanLeverage;
        var (vol, at) = (Frontier.At(volscaled, amlAt), Frontier.At(frontier, amlAt));
        var (k, solved) = SigmaPolicy.At(market, sigma, amlAt);
        Console.WriteLine($"{market.Asset} forecast {name} at aml's {amlAt:F2}x: ratio {at.LiquidationRate / vol.LiquidationRate:F2}x | liq {at.LiquidationRate:P2} vs {vol.LiquidationRate:P2} | bd {at.BadDebtBps:F2} vs {vol.BadDebtBps:F2} | " +
            $"solved k {k:F3}: {solved.MeanLeverage:F2}x liq {solved.LiquidationRate:P2} bd {solved.BadDebtBps:F2} cov {solved.CoverageLong:P1}/{solved.CoverageShort:P1}");
    }
}
