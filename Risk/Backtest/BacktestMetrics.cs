namespace Aml.Orleans.Risk.Backtest;

/// <summary>One point of a policy's frontier: its knob, and what that knob gave.</summary>
public sealed record FrontierPoint(double Scale, double MeanLeverage, double LiquidationRate, double BadDebtBps);

/// <summary>The metrics of RISK.md for one policy at one knob. Rates and coverages are fractions; bad debt in bps of collateral.</summary>
public sealed record PolicyMetrics(
    int Positions,
    double LiquidationRate,
    double LiquidationRateAtCap,
    double BadDebtBps,
    double BadDebtP99Bps,
    double MeanLeverage,
    double Coverage,
    double CoverageLong,
    double CoverageShort,
    double WorstLossBps,
    double PinballLoss,
    double PinballLossLow,
    double PinballLossHigh,
    double MeanMargin,
    double LiquidationRateBelowCap);

/// <summary>
/// RISK.md's metrics from the outcomes. Bad debt is in bps of the total collateral posted; its tail is the p99 of
/// each position's loss beyond collateral (bps of its own collateral) and the worst day (bps of that day's
/// collateral, positions dated by their open). Coverage: the share of positions at the cap that survive 24 h, also per
/// side. Pinball loss at τ of the excursion quantile each policy's terms imply (<c>q = 1/cap − margin</c>: the move a
/// capped position survives) against the realized 24 h excursion, with a 95 % interval from a day-block bootstrap.
/// Two diagnostics say where liquidations come from: the mean maintenance margin (a wider margin liquidates positions
/// below the cap earlier, whatever the cap), and the liquidation rate among positions below the cap.
/// </summary>
public static class BacktestMetrics
{
    private const int BootstrapResamples = 500;

    /// <summary>Computes the metrics.</summary>
    public static PolicyMetrics Compute(
        IReadOnlyList<DecisionPoint> points, IReadOnlyList<SimulatedPosition> positions, IReadOnlyList<Terms> terms, IReadOnlyList<Outcome> outcomes,
        double tau = 0.95, int seed = 11)
    {
        ArgumentNullException.ThrowIfNull(positions);
        var n = positions.Count;
        if (n == 0)
        {
            throw new ArgumentException("no positions", nameof(positions));
        }

        int liquidated = 0;
        double collateral = 0, badDebt = 0, leverage = 0, margin = 0;
        var perPosition = new double[n];
        var days = new Dictionary<DateOnly, (double Collateral, double BadDebt, double Pinball, int Count)>();
        var capped = new[] { (At: 0, Survived: 0), (At: 0, Survived: 0) };
        for (var i = 0; i < n; i++)
        {
            var (position, outcome) = (positions[i], outcomes[i]);
            var point = points[position.Point];
            liquidated += outcome.Liquidated ? 1 : 0;
            collateral += position.Collateral;
            badDebt += outcome.BadDebt;
            leverage += outcome.Leverage;
            margin += terms[i].Margin;
            perPosition[i] = outcome.BadDebt / position.Collateral * 10_000;
            if (outcome.AtCap)
            {
                var side = position.IsLong ? 0 : 1;
                capped[side] = (capped[side].At + 1, capped[side].Survived + (outcome.Liquidated ? 0 : 1));
            }

            var day = DateOnly.FromDateTime(point.Time.UtcDateTime);
            var quantile = Math.Max(0, (1 / terms[i].Cap) - terms[i].Margin);
            var d = days.GetValueOrDefault(day);
            days[day] = (d.Collateral + position.Collateral, d.BadDebt + outcome.BadDebt, d.Pinball + Pinball(point.Excursion(position.IsLong), quantile, tau), d.Count + 1);
        }

        var atCap = capped[0].At + capped[1].At;
        var survived = capped[0].Survived + capped[1].Survived;
        var (pinball, low, high) = DayBlockBootstrap(days.Values.Select(d => (d.Pinball, d.Count)).ToArray(), seed);
        return new PolicyMetrics(
            n,
            Round(liquidated / (double)n),
            atCap == 0 ? 0 : Round(1 - (survived / (double)atCap)),
            Round(badDebt / collateral * 10_000),
            Round(Percentile(perPosition, 0.99)),
            Round(leverage / n),
            atCap == 0 ? 1 : Round(survived / (double)atCap),
            capped[0].At == 0 ? 1 : Round(capped[0].Survived / (double)capped[0].At),
            capped[1].At == 0 ? 1 : Round(capped[1].Survived / (double)capped[1].At),
            Round(days.Values.Max(d => d.BadDebt / d.Collateral * 10_000)),
            Round(pinball),
            Round(low),
            Round(high),
            Round(margin / n),
            atCap == n ? 0 : Round((liquidated - (atCap - survived)) / (double)(n - atCap)));
    }

    /// <summary>The pinball (quantile) loss of <paramref name="quantile"/> at level τ for the realized value.</summary>
    public static double Pinball(double realized, double quantile, double tau)
    {
        var error = realized - quantile;
        return error >= 0 ? tau * error : (tau - 1) * error;
    }

    /// <summary>Linear-interpolated percentile (p in [0, 1]).</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        var rank = p * (sorted.Length - 1);
        var below = (int)Math.Floor(rank);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((rank - below) * (sorted[above] - sorted[below]));
    }

    // Mean loss, and the 2.5 / 97.5 % points of the mean over resamples of whole days (losses within a day are
    // correlated: the same market path), with a fixed seed.
    private static (double Mean, double Low, double High) DayBlockBootstrap((double Sum, int Count)[] days, int seed)
    {
        var mean = days.Sum(d => d.Sum) / days.Sum(d => d.Count);
        var random = new Random(seed);
        var means = new double[BootstrapResamples];
        for (var r = 0; r < BootstrapResamples; r++)
        {
            double sum = 0;
            var count = 0;
            for (var k = 0; k < days.Length; k++)
            {
                var day = days[random.Next(days.Length)];
                sum += day.Sum;
                count += day.Count;
            }

            means[r] = sum / count;
        }

        return (mean, Percentile(means, 0.025), Percentile(means, 0.975));
    }

    private static double Round(double value) => Math.Round(value, 6);
}
