using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Outcomes;

namespace Aml.Orleans.Grains.Audit;

/// <summary>
/// The verdicts that differ for a decision that enforces terms rather than setting them (a LIQUIDATE or CLOSE): it is
/// recorded because its terms are, and it recomputes because the OPEN or ADJUST that set them recomputes and it
/// carries exactly those terms. That the position was liquidatable at its price is the contract's own check: its event
/// (the transaction verdict) is PositionLiquidated, not DecisionSkipped.
/// </summary>
internal static class EnforcedTermsVerdicts
{
    /// <summary>True for the kinds that carry the terms in force instead of an assessment of their own.</summary>
    public static bool Enforces(DecisionKind kind) => kind is DecisionKind.Liquidate or DecisionKind.Close;

    /// <summary>The "decision" verdict: read from its transaction, and resting on a recorded decision.</summary>
    public static Verdict Decision(StoredOutcome outcome, EnforcedTerms? terms)
    {
        var d = outcome.Decision;
        var what = $"{d.Kind.ToString().ToUpperInvariant()} of position {d.PositionId} at {outcome.DecidedAt:O}, as its transaction carries it";
        return terms is null
            ? new Verdict("decision", false, $"{what}; no recorded OPEN or ADJUST of the position before it names model {d.ModelHash} and features {d.FeaturesHash}")
            : new Verdict("decision", true, $"{what}; it enforces the terms of {terms.SetBy.Kind.ToString().ToUpperInvariant()} {terms.SetBy.Digest}");
    }

    /// <summary>The "recompute" verdict: the terms' decision recomputes as signed, and this one carries its terms.</summary>
    public static Verdict Recompute(Decision decision, EnforcedTerms terms, Verdict termsRecomputed)
    {
        var setBy = terms.SetBy.Decision;
        var kind = decision.Kind.ToString().ToUpperInvariant();
        var carried = $"the {kind} carries cap {decision.MaxLeverageX100} (X100), margin {decision.MaintenanceMarginBps} bps, score {decision.RiskScoreBps} bps";
        if (!termsRecomputed.Passed)
        {
            return termsRecomputed with { Detail = $"{terms.SetBy.Digest} does not recompute: {termsRecomputed.Detail}" };
        }

        if (decision.MaxLeverageX100 != setBy.MaxLeverageX100 || decision.RiskScoreBps != setBy.RiskScoreBps)
        {
            return new Verdict("recompute", false, $"{carried}; {terms.SetBy.Digest} set cap {setBy.MaxLeverageX100} (X100), score {setBy.RiskScoreBps} bps");
        }

        return terms.SignedMargins.Contains(decision.MaintenanceMarginBps)
            ? new Verdict("recompute", true, $"{terms.SetBy.Digest}: {termsRecomputed.Detail}; {carried}, as signed before it")
            : new Verdict("recompute", false, $"{carried}; no decision of the position before it signed that margin ({string.Join(", ", terms.SignedMargins)} bps)");
    }
}
