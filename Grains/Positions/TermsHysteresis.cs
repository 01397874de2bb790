using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Positions;

/// <summary>
/// When a reassessment is worth an ADJUST: only when the models' answer moved beyond the hysteresis (margin, cap or
/// score), so small model wobbles do not turn into a stream of transactions. One rule for the position, which decides
/// and sends, and for its book shard's batch sweep, which decides from the row whether to wake it at all.
/// </summary>
public static class TermsHysteresis
{
    /// <summary>The request the models price a position by: its side, collateral and leverage (X100, at least 1x).</summary>
    public static RiskRequest Request(bool isLong, long collateral, long size, TraderProfile trader) =>
        new(isLong, collateral, Math.Max(Units.LeverageScale, checked((long)((Int128)size * Units.LeverageScale / Math.Max(collateral, 1)))), trader);

    /// <summary>How far the models' margin is from <paramref name="targetMarginBps"/> (the pending margin, else the one in force).</summary>
    public static long MarginMove(RiskAssessment assessment, uint targetMarginBps)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        return (long)assessment.MaintenanceMarginBps - targetMarginBps;
    }

    /// <summary>True when <paramref name="assessment"/> differs from the position's terms by at least one hysteresis.</summary>
    /// <param name="assessment">The models' answer.</param>
    /// <param name="targetMarginBps">The pending margin when there is one, else the margin in force.</param>
    /// <param name="maxLeverageX100">The position's leverage cap.</param>
    /// <param name="riskScoreBps">The position's risk score.</param>
    /// <param name="options">The hysteresis settings.</param>
    public static bool ShouldAdjust(RiskAssessment assessment, uint targetMarginBps, uint maxLeverageX100, ushort riskScoreBps, PositionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var capMove = Math.Abs((long)assessment.MaxLeverageX100 - maxLeverageX100) * Units.BpsScale / Math.Max(maxLeverageX100, 1u);
        var scoreMove = Math.Abs(assessment.RiskScoreBps - riskScoreBps);
        return Math.Abs(MarginMove(assessment, targetMarginBps)) >= options.MarginHysteresisBps ||
               capMove >= options.CapHysteresisBps || scoreMove >= options.ScoreHysteresisBps;
    }
}
