using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Harness;

/// <summary>
/// How well each predictor of the 24 h adverse excursion ranks it, per side, out of sample (every point priced by its
/// walk-forward set): Spearman against the realized excursion E, Spearman of r/σ_24h against E/σ_24h (information
/// beyond σ_24h), and the mean cap 1/(c·r + 2 %) when c is set so that c·r covers 95 % of E (the same coverage for
/// every predictor, so the mean cap differs only by how well r ranks E: higher is better).
/// </summary>
internal static class Ranking
{
    public static void Report(Market market, IReadOnlyList<WalkForwardSegment> segments, RiskModelSet[] sets)
    {
        var rows = new List<(bool IsLong, double E, double Sigma, float Ratio, Dictionary<string, double> R)>();
        for (var s = 0; s < segments.Count; s++)
        {
            var leverage = sets[s].Leverage;
            foreach (var point in market.Points.Where(p => p.Time >= segments[s].From && p.Time < segments[s].To))
            {
                var f = point.Features;
                foreach (var isLong in (bool[])[true, false])
                {
                    var x = ModelFeatures.Excursion(f, isLong);
                    var (mean, scale) = (leverage.MeanTrees.Score(x), leverage.ScaleTrees.Score(x));
                    double Finite(float v) => float.IsFinite(v) ? v : f[3];
                    var (s24, s7, pk) = ((double)f[3], Finite(f[4]), Finite(f[5]));
                    rows.Add((isLong, point.Excursion(isLong), s24, f[6], new Dictionary<string, double>
                    {
                        ["sigma24"] = s24,
                        ["max(s24,s7d)"] = Math.Max(s24, s7),
                        ["max(s24,s7d,pk)"] = Math.Max(s24, Math.Max(s7, pk)),
                        ["aml q95 (fixed a)"] = leverage.Quantile(f, mean, scale, isLong, 0.05),
                        ["aml mean only"] = TrainingSet.FromNormalisedLog(mean, ModelFeatures.Scale(f, 24)),
                        ["aml scale only"] = ModelFeatures.Scale(f, 24) * Math.Exp(Math.Max(scale, ExcursionModel.ScaleFloor)),
                    }));
                }
            }
        }

        foreach (var isLong in (bool[])[true, false])
        {
            var side = rows.Where(r => r.IsLong == isLong).ToList();
            var e = side.Select(r => r.E).ToArray();
            var eNorm = side.Select(r => r.E / r.Sigma).ToArray();
            Console.WriteLine($"{market.Asset} {(isLong ? "long" : "short")} n={side.Count}");
            foreach (var name in side[0].R.Keys)
            {
                var r = side.Select(x => x.R[name]).ToArray();
                var rNorm = side.Select(x => x.R[name] / x.Sigma).ToArray();
                var covered = e.Zip(r).Count(t => t.First <= t.Second) / (double)e.Length;
                foreach (var level in (double[])[0.95, 0.99])
                {
                    var c = Quantile(e.Zip(r, (a, b) => a / b).ToArray(), level);
                    var meanCap = r.Average(v => 1 / ((c * v) + 0.02));
                    var byRegime = string.Join("  ", side.Select((x, i) => (x.Ratio, Hit: e[i] <= c * r[i])).GroupBy(x => Regime(x.Ratio)).OrderBy(g => g.Key)
                        .Select(g => $"{g.Key} {g.Count(x => x.Hit) / (double)g.Count():P1}"));
                    Console.WriteLine($"  {name,-20} at {level:P0}: mean cap {meanCap:F3}, coverage by regime: {byRegime}");
                }

                Console.WriteLine($"  {name,-20} spearman {Spearman(r, e):F4}  beyond-sigma {Spearman(rNorm, eNorm):F4}   raw coverage {covered:P1}");
            }
        }
    }

    public static string Regime(float ratio) => ratio switch { < 0.7f => "calming<0.7", < 1.3f => "steady", _ => "rising>1.3" };

    private static double Quantile(double[] values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    public static double Spearman(double[] a, double[] b) => Pearson(Ranks(a), Ranks(b));

    private static double[] Ranks(double[] values)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Length];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && values[order[j + 1]] == values[order[i]])
            {
                j++;
            }

            for (var k = i; k <= j; k++)
            {
                ranks[order[k]] = (i + j) / 2.0;
            }

            i = j + 1;
        }

        return ranks;
    }

    private static double Pearson(double[] a, double[] b)
    {
        var (ma, mb) = (a.Average(), b.Average());
        double sab = 0, saa = 0, sbb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }

        return sab / Math.Sqrt(saa * sbb);
    }
}
