namespace Aml.Orleans.Risk.Backtest;

/// <summary>
/// The simulated order flow (RISK.md: "requested leverage and notional drawn from stated distributions"). Every hour
/// of the window one long and one short open; each is drawn from a mix of two trader kinds, half each:
/// <list type="bullet">
/// <item>requested leverage log-normal: median 3x (cautious) or 12x (aggressive), log-sd 0.5 and 0.6, times an
/// appetite factor <c>√(σ_ref / σ_7d)</c> clamped to [0.5, 2] — traders ask for more after calm periods (σ_7d the
/// last week's hourly volatility, σ_ref its mean over the 30 days before); clamped to [1, 100];</item>
/// <item>requested notional log-normal against the asset's 24 h quote volume: median 3·10⁻⁴ of it, log-sd 1.0 —
/// each simulated position stands for a cohort of traders, so that impact and same-hour cascades matter.</item>
/// </list>
/// Draws depend only on the seed and the market, never on a policy: every policy gets the same positions.
/// </summary>
public static class TraderMix
{
    /// <summary>Median requested notional as a fraction of 24 h quote volume.</summary>
    public const double MedianNotionalToVolume = 3e-4;

    private const double NotionalLogSd = 1.0;

    /// <summary>Positions for each decision point, long first.</summary>
    public static List<SimulatedPosition> Draw(IReadOnlyList<DecisionPoint> points, int seed)
    {
        ArgumentNullException.ThrowIfNull(points);
        var random = new Random(seed);
        var positions = new List<SimulatedPosition>(points.Count * 2);
        for (var p = 0; p < points.Count; p++)
        {
            foreach (var isLong in (bool[])[true, false])
            {
                var kind = random.NextDouble() < 0.5 ? TraderKind.Cautious : TraderKind.Aggressive;
                var (median, logSd) = kind == TraderKind.Cautious ? (3.0, 0.5) : (12.0, 0.6);
                var leverage = Math.Clamp(median * points[p].Calm * Math.Exp(logSd * Normal(random)), 1, 100);
                var notional = points[p].QuoteVolume24h * MedianNotionalToVolume * Math.Exp(NotionalLogSd * Normal(random));
                positions.Add(new SimulatedPosition(p, isLong, Math.Round(leverage, 2), notional, notional / Math.Round(leverage, 2), kind));
            }
        }

        return positions;
    }

    /// <summary>The appetite factor: √(σ_ref / σ_7d) clamped to [0.5, 2]; 1 when either is unknown.</summary>
    public static double Calm(double weekVolatility, double referenceVolatility) =>
        weekVolatility > 0 && referenceVolatility > 0 && double.IsFinite(weekVolatility) && double.IsFinite(referenceVolatility)
            ? Math.Clamp(Math.Sqrt(referenceVolatility / weekVolatility), 0.5, 2)
            : 1;

    // Box–Muller on the seeded generator (reproducible across runs).
    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
