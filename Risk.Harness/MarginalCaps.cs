using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Harness;

/// <summary>
/// H8: the cap that equalises marginal liquidations per unit of leverage across hours. Per hour and side, from the
/// model's conformal distribution of the 24 h excursion (fixed α, no ACI), α* = argmax over a grid of
/// c(α) − λ·α, c(α) = min(1 / (q(α) + m), the market's maximum); the knob is λ. The margin is the engine's.
/// </summary>
internal static class MarginalCaps
{
    public static IReadOnlyList<double> Lambdas { get; } = [5, 10, 20, 40, 80, 160, 320, 640];

    private static readonly double[] Grid = [.. Enumerable.Range(0, 40).Select(i => 0.001 * Math.Pow(500, i / 39.0))];

    public static Terms[][] Terms(Market market, IReadOnlyList<WalkForwardSegment> segments, RiskModelSet[] sets, Terms[] engineMargins)
    {
        var (points, positions) = (market.Points, market.Positions);
        var terms = Lambdas.Select(_ => new Terms[positions.Count]).ToArray();
        var maxCap = market.Bounds.MaxLeverageX100 / 100.0;
        var caps = new double[Grid.Length];
        for (var s = 0; s < segments.Count; s++)
        {
            var leverage = sets[s].Leverage;
            for (var p = points.FindIndex(x => x.Time >= segments[s].From); p >= 0 && p < points.Count && points[p].Time < segments[s].To; p++)
            {
                foreach (var isLong in (bool[])[true, false])
                {
                    var i = (2 * p) + (isLong ? 0 : 1);
                    var f = points[p].Features;
                    var x = ModelFeatures.Excursion(f, isLong);
                    var (mean, scale) = (leverage.MeanTrees.Score(x), leverage.ScaleTrees.Score(x));
                    var margin = engineMargins[i].Margin;
                    for (var g = 0; g < Grid.Length; g++)
                    {
                        caps[g] = Math.Min(1 / (leverage.Quantile(f, mean, scale, isLong, Grid[g]) + margin), maxCap);
                    }

                    for (var k = 0; k < Lambdas.Count; k++)
                    {
                        var best = 0;
                        for (var g = 1; g < Grid.Length; g++)
                        {
                            best = caps[g] - (Lambdas[k] * Grid[g]) > caps[best] - (Lambdas[k] * Grid[best]) ? g : best;
                        }

                        var cap = Math.Clamp(Math.Floor(caps[best] * 100), market.Bounds.MinLeverageX100, market.Bounds.MaxLeverageX100) / 100;
                        terms[k][i] = new Terms(cap, margin);
                    }
                }
            }
        }

        return terms;
    }
}
