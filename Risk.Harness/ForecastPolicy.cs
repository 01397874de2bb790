using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Harness;

/// <summary>
/// H13: volscaled's formula and margin on σ = a D4 forecast (its median, exp of the forecast log σ; the k sweep makes a
/// constant scale irrelevant), read at aml's mean leverage (α = 0.05) and at each volscaled knob's, against volscaled.
/// </summary>
internal static class ForecastPolicy
{
    public static void Report(Market market, string root, Terms[] aml, List<FrontierPoint> volscaled, string name)
    {
        var (_, _, forecasts) = Skill.Candidates(market, root);
        // "name|floor" (H14): never below σ_24h's own walk-forward forecast (s24fit), which has the same scale.
        var parts = name.Split('|');
        var forecast = forecasts.Single(f => f.Name == parts[0]);
        var floor = parts.Contains("floor") ? forecasts.Single(f => f.Name == "s24fit") : null;
        double LogSigma(int hour) => floor is null ? forecast.ByHour[hour].LogSigma : Math.Max(forecast.ByHour[hour].LogSigma, floor.ByHour[hour].LogSigma);
        var sigma = market.Points.Select(p => forecast.ByHour.ContainsKey(p.Hour) ? Math.Exp(LogSigma(p.Hour)) : p.Features[3]).ToArray();
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
        var baseline = market.Points.Select(p => (double)p.Features[3]).ToArray();
        var (kv, _) = SigmaPolicy.At(market, baseline, amlAt);
        Console.WriteLine($"    bad debt by the day the positions opened (bps of all collateral), {name} | volscaled, both at k solved to {amlAt:F2}x: " +
            $"{BadDebtDays(market, SigmaPolicy.Terms(market, sigma, k))} | {BadDebtDays(market, SigmaPolicy.Terms(market, baseline, kv))}");
    }

    // The three days whose positions made the most bad debt, and the share of it they hold: is it one event?
    private static string BadDebtDays(Market market, Terms[] terms)
    {
        var outcomes = LiquidationSimulator.Run(market.Tape, market.Points, market.Positions, terms, market.Bounds.LiquidationFeeBps);
        var collateral = market.Positions.Sum(p => p.Collateral);
        var days = market.Positions.Select((p, i) => (Day: DateOnly.FromDateTime(market.Points[p.Point].Time.UtcDateTime), outcomes[i].BadDebt))
            .GroupBy(d => d.Day).Select(g => (g.Key, Bps: g.Sum(d => d.BadDebt) / collateral * 10_000)).OrderByDescending(d => d.Bps).ToList();
        var total = days.Sum(d => d.Bps);
        return $"total {total:F2}, top 3 {string.Join(", ", days.Take(3).Select(d => $"{d.Key:MM-dd} {d.Bps:F2}"))} ({days.Take(3).Sum(d => d.Bps) / total:P0}), {days.Count(d => d.Bps > 0)} days with any";
    }
}
