namespace Aml.Orleans.Risk;

/// <summary>
/// The validation metrics <c>model.json</c> reports, measured on the held-back end of the training window: per-side
/// coverage and pinball loss of the two quantiles (fixed α, no online adaptation), and the risk score's Brier score,
/// log-loss and reliability table next to the base rate's (the training prevalence predicted for everyone).
/// </summary>
internal sealed class ModelValidation(
    RiskTrainingOptions options, ExcursionModel leverage, ExcursionModel threshold, CompiledTrees riskTrees, IsotonicCalibration isotonic)
{
    public (SortedDictionary<string, double> Metrics, IReadOnlyList<ReliabilityBin> Reliability) Measure(
        IReadOnlyList<Sample> validation, IReadOnlyList<RiskSample> riskTrain, IReadOnlyList<RiskSample> riskValidation)
    {
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal) { ["validation_hours"] = validation.Count };
        foreach (var isLong in (bool[])[true, false])
        {
            var side = isLong ? "long" : "short";
            var (coverage, pinball, _) = QuantileFit(leverage, validation, 1 - options.LeverageCoverage, (s, l) => s.Mae(l), isLong);
            metrics[$"leverage_coverage_{side}"] = Math.Round(coverage, 6);
            metrics[$"leverage_pinball_{side}"] = Math.Round(pinball, 6);
            (coverage, _, _) = QuantileFit(threshold, validation, 1 - options.ThresholdCoverage, (s, l) => s.Execution(l), isLong);
            metrics[$"threshold_coverage_{side}"] = Math.Round(coverage, 6);
        }

        var reliability = Array.Empty<ReliabilityBin>() as IReadOnlyList<ReliabilityBin>;
        if (riskValidation.Count > 0 && riskTrain.Count > 0)
        {
            var baseRate = riskTrain.Average(r => r.Row.Label ? 1.0 : 0);
            var predicted = riskValidation.Select(r => (isotonic.Probability(riskTrees.Score(r.Row.Features)), r.Row.Label)).ToList();
            var constant = riskValidation.Select(r => (baseRate, r.Row.Label)).ToList();
            metrics["risk_base_rate_train"] = Math.Round(baseRate, 6);
            metrics["risk_rate_validation"] = Math.Round(riskValidation.Average(r => r.Row.Label ? 1.0 : 0), 6);
            metrics["risk_brier"] = Math.Round(ProbabilityScores.Brier(predicted), 6);
            metrics["risk_brier_base_rate"] = Math.Round(ProbabilityScores.Brier(constant), 6);
            metrics["risk_log_loss"] = Math.Round(ProbabilityScores.LogLoss(predicted), 6);
            metrics["risk_log_loss_base_rate"] = Math.Round(ProbabilityScores.LogLoss(constant), 6);
            reliability = ProbabilityScores.Reliability(predicted);
        }

        return (metrics, reliability);
    }

    /// <summary>Coverage and mean pinball loss (normalised log scale) of a quantile at fixed α, over one side or both.</summary>
    public static (double Coverage, double Pinball, int Count) QuantileFit(
        ExcursionModel model, IReadOnlyList<Sample> samples, double alpha, Func<Sample, bool, double> label, bool? side = null)
    {
        double covered = 0, loss = 0;
        var n = 0;
        var tau = 1 - alpha;
        foreach (var (isLong, row) in ExcursionModel.Rows(samples, model.Horizon, label))
        {
            if (side is { } only && only != isLong)
            {
                continue;
            }

            var quantile = model.LogQuantile(model.MeanTrees.Score(row.Features), model.ScaleTrees.Score(row.Features), isLong, alpha);
            var error = row.Label - quantile;
            covered += error <= 0 ? 1 : 0;
            loss += error >= 0 ? tau * error : (tau - 1) * error;
            n++;
        }

        return n == 0 ? (double.NaN, double.NaN, 0) : (covered / n, loss / n, n);
    }
}
