namespace Aml.Orleans.Grains.Risk;

/// <summary>One model's prediction of one decision: the α and the 24 h excursion quantile behind its cap, its terms, its risk score.</summary>
public sealed record LivePrediction(double Alpha, double Quantile, uint MaxLeverageX100, uint MaintenanceMarginBps, ushort RiskScoreBps);

/// <summary>A matured decision as one model predicted it: the side, the realized 24 h max adverse excursion, the leverage asked for.</summary>
public sealed record MaturedPrediction(bool IsLong, double Mae, double RequestedLeverage, LivePrediction Prediction);

/// <summary>One side's live score: matured decisions, the share the quantile covered, the mean pinball loss (raw excursion scale).</summary>
public sealed record SideScore(int Count, double Coverage, double Pinball);

/// <summary>A model's live score over matured decisions: per side, and the Brier score of its risk score over both.</summary>
public sealed record LiveScore(SideScore Long, SideScore Short, double Brier)
{
    /// <summary>The score of one side.</summary>
    public SideScore Side(bool isLong) => isLong ? Long : Short;

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant(
            $"long {Long.Count} cov {Long.Coverage:P1} pinball {Long.Pinball:F6}, short {Short.Count} cov {Short.Coverage:P1} pinball {Short.Pinball:F6}, Brier {Brier:F6}");
}

/// <summary>
/// Scores live predictions against what happened, the way the trainer compares a shadow challenger with the champion.
/// Pinball loss at τ = 1 − α of the quantile behind the cap against the realized 24 h excursion (lower is better; a proper
/// score for a quantile); coverage = the share of excursions at or below the quantile; Brier of the risk score against
/// whether the excursion reached the position's liquidation distance <c>1/L − mm</c> at the model's own terms (L = the
/// leverage asked for, capped at the model's cap): exactly the event the risk score is trained to predict, known for every
/// matured decision, where an on-chain liquidation also depends on top-ups and closes.
/// </summary>
public static class LiveScoring
{
    /// <summary>The score of <paramref name="rows"/> (NaN for a side or a Brier with no rows).</summary>
    public static LiveScore Score(IReadOnlyCollection<MaturedPrediction> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var brier = rows.Count == 0
            ? double.NaN
            : rows.Average(r => Math.Pow((r.Prediction.RiskScoreBps / 10_000.0) - (LiquidationReached(r) ? 1 : 0), 2));
        return new LiveScore(Side(rows, isLong: true), Side(rows, isLong: false), brier);
    }

    /// <summary>Whether the realized excursion reached the liquidation distance of the position at the model's terms.</summary>
    public static bool LiquidationReached(MaturedPrediction row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var leverage = Math.Min(row.RequestedLeverage, row.Prediction.MaxLeverageX100 / 100.0);
        return row.Mae >= (1 / leverage) - (row.Prediction.MaintenanceMarginBps / 10_000.0);
    }

    /// <summary>Pinball loss of <paramref name="quantile"/> at τ = 1 − <paramref name="alpha"/> for the realized <paramref name="mae"/>.</summary>
    public static double Pinball(double mae, double quantile, double alpha)
    {
        var tau = 1 - alpha;
        var error = mae - quantile;
        return error >= 0 ? tau * error : (tau - 1) * error;
    }

    private static SideScore Side(IEnumerable<MaturedPrediction> rows, bool isLong)
    {
        var side = rows.Where(r => r.IsLong == isLong).ToList();
        return side.Count == 0
            ? new SideScore(0, double.NaN, double.NaN)
            : new SideScore(
                side.Count,
                side.Count(r => r.Mae <= r.Prediction.Quantile) / (double)side.Count,
                side.Average(r => Pinball(r.Mae, r.Prediction.Quantile, r.Prediction.Alpha)));
    }
}
