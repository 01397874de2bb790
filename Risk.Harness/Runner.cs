using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Harness;

/// <summary>aml's terms at every knob as the backtest makes them (Backtester.PriceSegments), the baselines' frontier, and the equal-leverage comparison.</summary>
internal static class Runner
{
    public sealed record Result(double Ratio, double MeanLeverage, double AmlRate, double VolRate, double AmlBadDebt, double VolBadDebt, double CoverageLong, double CoverageShort, double MeanMargin);

    public static Terms[][] AmlTerms(Market market, IReadOnlyList<WalkForwardSegment> segments, RiskModelSet[] sets, RiskEngineOptions options) =>
        Backtester.PriceSegments(market.Points, market.Positions, market.Bounds, segments, sets, options);

    public static PolicyMetrics Metrics(Market market, Terms[] terms) =>
        BacktestMetrics.Compute(market.Points, market.Positions, terms,
            LiquidationSimulator.Run(market.Tape, market.Points, market.Positions, terms, market.Bounds.LiquidationFeeBps));

    public static List<FrontierPoint> VolScaledFrontier(Market market) =>
        Baselines.VolScaledKs.Select(k =>
        {
            var m = Metrics(market, [.. market.Positions.Select(p => Baselines.VolScaled(k, market.Points[p.Point].Features, market.Bounds))]);
            return new FrontierPoint(k, m.MeanLeverage, m.LiquidationRate, m.BadDebtBps);
        }).ToList();

    /// <summary>aml at its default α (0.05) against volscaled's frontier read at aml's mean leverage.</summary>
    public static Result Compare(Market market, Terms[][] aml, List<FrontierPoint> volscaled)
    {
        var headline = Metrics(market, aml[AmlPolicy.Knobs.ToList().IndexOf(AmlPolicy.DefaultKnob)]);
        var at = Frontier.At(volscaled, headline.MeanLeverage);
        return new Result(headline.LiquidationRate / at.LiquidationRate, headline.MeanLeverage, headline.LiquidationRate, at.LiquidationRate,
            headline.BadDebtBps, at.BadDebtBps, headline.CoverageLong, headline.CoverageShort, headline.MeanMargin);
    }

    /// <summary>Every knob of aml's frontier against volscaled's frontier at that knob's mean leverage.</summary>
    public static string Along(Market market, IReadOnlyList<double> knobs, Terms[][] aml, List<FrontierPoint> volscaled) =>
        string.Join("\n", knobs.Select((knob, k) =>
        {
            var m = Metrics(market, aml[k]);
            var at = Frontier.At(volscaled, m.MeanLeverage);
            return $"    knob {knob,6}: {m.MeanLeverage:F2}x ratio {m.LiquidationRate / at.LiquidationRate:F2}x{(at.Interpolated ? "" : " (outside)")} | liq {m.LiquidationRate:P2} vs {at.LiquidationRate:P2} | bd {m.BadDebtBps:F2} vs {at.BadDebtBps:F2} | cov {m.CoverageLong:P1}/{m.CoverageShort:P1}";
        }));

    public static string Format(Result r) =>
        $"ratio {r.Ratio:F2}x at {r.MeanLeverage:F2}x | liq {r.AmlRate:P2} vs {r.VolRate:P2} | bd {r.AmlBadDebt:F2} vs {r.VolBadDebt:F2} | cov {r.CoverageLong:P1}/{r.CoverageShort:P1} | mm {r.MeanMargin:P2}";
}
