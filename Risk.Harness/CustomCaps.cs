using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Harness;

/// <summary>
/// aml's cap with the 24 h quantile recomputed outside the engine, so the calibration can change without retraining:
/// conformal scores from each set's own calibration window (rebuilt from its training data and manifest), either the
/// engine's normalised scores (ŷ, ŝ) or plain log residuals (ŝ ≡ 1, H7), pooled or per vol-ratio regime (H6), with
/// the engine's ACI (γ, the [-2α, 0.5] clamp, each label judged at its decision's α) per side × regime. The margin
/// is the engine's (it does not depend on α). With the engine's scores and one regime this reproduces `base`.
/// </summary>
internal static class CustomCaps
{
    public sealed record Mode(bool ConstantScale, bool Regimes, double Gamma, bool SigmaFloor = false, double Forgetting = 0, double DebtLimit = 2);

    public static Terms[][] Terms(Market market, IReadOnlyList<WalkForwardSegment> segments, RiskModelSet[] sets, Terms[] engineMargins, Mode mode)
    {
        var (points, positions, knobs) = (market.Points, market.Positions, AmlPolicy.Knobs);
        var terms = knobs.Select(_ => new Terms[positions.Count]).ToArray();
        var groups = mode.Regimes ? 3 : 1;
        for (var s = 0; s < segments.Count; s++)
        {
            var leverage = sets[s].Leverage;
            var scores = Scores(sets[s], WalkForwardSchedule.TrainingData(market.Hourly, segments[s]), mode, groups);
            var sigma = mode.SigmaFloor ? SigmaScores(sets[s], WalkForwardSchedule.TrainingData(market.Hourly, segments[s])) : null;
            var alpha = knobs.Select(a => Enumerable.Repeat(a, 2 * groups).ToArray()).ToArray();
            var decided = new Dictionary<(int Point, bool IsLong), double[]>();
            (float Mean, float Scale) Predict(float[] f, bool isLong)
            {
                var x = ModelFeatures.Excursion(f, isLong);
                return (leverage.MeanTrees.Score(x), mode.ConstantScale ? 1f : Math.Max(leverage.ScaleTrees.Score(x), ExcursionModel.ScaleFloor));
            }

            var first = points.FindIndex(p => p.Time >= segments[s].From);
            var matured = points.FindIndex(p => p.Time >= segments[s].From - TimeSpan.FromDays(7));
            for (var p = first; p < points.Count && points[p].Time < segments[s].To; p++)
            {
                for (; matured < p && points[matured].LabelMatures <= points[p].Time; matured++)
                {
                    foreach (var isLong in (bool[])[true, false])
                    {
                        var f = points[matured].Features;
                        var (mean, scale) = Predict(f, isLong);
                        var label = TrainingSet.NormalisedLogExcursion(points[matured].Excursion(isLong), ModelFeatures.Scale(f, 24));
                        var g = Group(f, isLong, groups);
                        var at = decided.Remove((matured, isLong), out var d) ? d : null;
                        for (var k = 0; k < knobs.Count; k++)
                        {
                            var miss = label > LogQuantile(mean, scale, isLong, at?[k] ?? alpha[k][g], scores[g / 2], sigma) ? 1 : 0;
                            alpha[k][g] = Math.Clamp(alpha[k][g] + (mode.Gamma * (knobs[k] - miss)), -mode.DebtLimit * knobs[k], Math.Max(0.5, knobs[k]));
                            alpha[k][g] += mode.Forgetting * (knobs[k] - alpha[k][g]);
                        }
                    }
                }

                foreach (var isLong in (bool[])[true, false])
                {
                    var i = (2 * p) + (isLong ? 0 : 1);
                    var f = points[p].Features;
                    var (mean, scale) = Predict(f, isLong);
                    var g = Group(f, isLong, groups);
                    decided[(p, isLong)] = [.. alpha.Select(a => a[g])];
                    for (var k = 0; k < knobs.Count; k++)
                    {
                        var q = TrainingSet.FromNormalisedLog(LogQuantile(mean, scale, isLong, alpha[k][g], scores[g / 2], sigma), ModelFeatures.Scale(f, 24));
                        var margin = engineMargins[i].Margin;
                        var cap = Math.Clamp(Math.Floor(100 / (q + margin)), market.Bounds.MinLeverageX100, market.Bounds.MaxLeverageX100) / 100;
                        terms[k][i] = new Terms(cap, margin);
                    }
                }
            }
        }

        return terms;
    }

    // The normalised log quantile: the model's ŷ + ŝ·Q(1-α), floored by the σ-scaled quantile when H9 is on.
    private static double LogQuantile(float mean, float scale, bool isLong, double alpha, ConformalScores scores, ConformalScores? sigma)
    {
        var model = mean + (scale * scores.Quantile(isLong, alpha));
        return sigma is null ? model : Math.Max(model, sigma.Quantile(isLong, alpha));
    }

    // H9's σ-scaled scores: the normalised log label itself (log E/(σ_24h·√24)) on the set's calibration window.
    private static ConformalScores SigmaScores(RiskModelSet set, CandleSeries training)
    {
        var manifest = set.Manifest;
        var rows = ExcursionModel.Rows(
            TrainingSet.Build(training, manifest.TrainedFrom, manifest.TrainedTo).Where(x => x.Time >= manifest.CalibrationFrom && x.Time < manifest.ValidationFrom),
            set.Leverage.Horizon, (x, isLong) => x.Mae(isLong)).ToList();
        return ConformalScores.Of(rows.Where(r => r.IsLong).Select(r => (double)r.Row.Label), rows.Where(r => !r.IsLong).Select(r => (double)r.Row.Label));
    }

    // Index into a side × regime α array: regime · 2 + side (long 0); scores are per regime, each holding both sides.
    private static int Group(float[] f, bool isLong, int groups) => ((groups == 1 ? 0 : RegimeOf(f)) * 2) + (isLong ? 0 : 1);

    private static int RegimeOf(float[] f) => f[6] switch { < 0.7f => 0, < 1.3f => 1, _ => 2 };

    private static ConformalScores[] Scores(RiskModelSet set, CandleSeries training, Mode mode, int groups)
    {
        var manifest = set.Manifest;
        var samples = TrainingSet.Build(training, manifest.TrainedFrom, manifest.TrainedTo)
            .Where(x => x.Time >= manifest.CalibrationFrom && x.Time < manifest.ValidationFrom).ToList();
        var leverage = set.Leverage;
        var scored = ExcursionModel.Rows(samples, leverage.Horizon, (x, isLong) => x.Mae(isLong)).Select(r =>
        {
            var mean = leverage.MeanTrees.Score(r.Row.Features);
            var scale = mode.ConstantScale ? 1f : Math.Max(leverage.ScaleTrees.Score(r.Row.Features), ExcursionModel.ScaleFloor);
            return (r.IsLong, Regime: groups == 1 ? 0 : RegimeOfExcursion(r.Row.Features), Score: (r.Row.Label - mean) / (double)scale);
        }).ToList();
        return [.. Enumerable.Range(0, groups).Select(g => ConformalScores.Of(
            scored.Where(x => x.Regime == g && x.IsLong).Select(x => x.Score), scored.Where(x => x.Regime == g && !x.IsLong).Select(x => x.Score)))];
    }

    // The excursion vector holds vol_ratio_24h_7d at position 4 (ModelFeatures.ExcursionNames).
    private static int RegimeOfExcursion(float[] x) => x[4] switch { < 0.7f => 0, < 1.3f => 1, _ => 2 };
}
