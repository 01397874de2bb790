namespace Aml.Orleans.Risk.Backtest;

/// <summary>A policy's liquidation rate and bad debt at a given mean leverage; <c>Interpolated</c> false when that leverage lies outside its frontier (then the nearest end is given).</summary>
public sealed record PolicyAt(double LiquidationRate, double BadDebtBps, bool Interpolated);

/// <summary>The headline: every policy at aml's mean leverage.</summary>
public sealed record Comparison(double AtMeanLeverage, PolicyAt Aml, PolicyAt? VolScaled, PolicyAt? Static);

/// <summary>Reading a frontier (mean leverage against liquidation rate and bad debt) at a mean leverage.</summary>
public static class Frontier
{
    /// <summary>Linear interpolation between the two frontier points around <paramref name="meanLeverage"/>.</summary>
    public static PolicyAt At(IReadOnlyList<FrontierPoint> frontier, double meanLeverage)
    {
        ArgumentNullException.ThrowIfNull(frontier);
        if (frontier.Count == 0)
        {
            throw new ArgumentException("an empty frontier", nameof(frontier));
        }

        var sorted = frontier.OrderBy(p => p.MeanLeverage).ToArray();
        if (meanLeverage <= sorted[0].MeanLeverage || meanLeverage >= sorted[^1].MeanLeverage)
        {
            var end = meanLeverage <= sorted[0].MeanLeverage ? sorted[0] : sorted[^1];
            return new PolicyAt(end.LiquidationRate, end.BadDebtBps, Math.Abs(end.MeanLeverage - meanLeverage) < 1e-9);
        }

        var above = Array.FindIndex(sorted, p => p.MeanLeverage >= meanLeverage);
        var (a, b) = (sorted[above - 1], sorted[above]);
        var w = (meanLeverage - a.MeanLeverage) / (b.MeanLeverage - a.MeanLeverage);
        return new PolicyAt(
            Math.Round(a.LiquidationRate + (w * (b.LiquidationRate - a.LiquidationRate)), 6),
            Math.Round(a.BadDebtBps + (w * (b.BadDebtBps - a.BadDebtBps)), 6),
            true);
    }
}
