namespace Aml.Orleans.Grains.Interfaces;

/// <summary>
/// What the risk models are asked about one position of one trader. <paramref name="Explain"/> asks for the inputs
/// that moved the answer (a quote shows them to the trader); a reassessment compares terms only and leaves it false.
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.RiskRequest")]
public sealed record RiskRequest(bool IsLong, long Collateral, long RequestedLeverageX100, TraderProfile Trader, bool Explain = false);

/// <summary>
/// The models' answer, clamped to the market's on-chain bounds, with what it takes to recompute it:
/// the model hash and the hash of the exact inputs. <paramref name="Inputs"/> are those inputs in full (a single
/// assessment carries them, for the outcome store once the answer becomes a decision; a batch's rows do not).
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.RiskAssessment")]
public sealed record RiskAssessment(
    uint MaxLeverageX100,
    uint MaintenanceMarginBps,
    ushort RiskScoreBps,
    string ModelHash,
    string FeaturesHash,
    long MarkPriceE8,
    DateTimeOffset PriceTime,
    RiskExplanation Explanation,
    DecisionInputs? Inputs = null);

/// <summary>
/// The risk engine's answer to one request: priced (<paramref name="Assessment"/>), or refused with the reason the
/// asset cannot be priced now (no model set, no features yet). A refusal is a result the caller branches on, never an
/// exception; only a broken invariant throws.
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.RiskResult")]
public sealed record RiskResult(RiskAssessment? Assessment, string? Refusal)
{
    /// <summary>Priced.</summary>
    public static RiskResult Priced(RiskAssessment assessment) => new(assessment, null);

    /// <summary>Not priced, and why.</summary>
    public static RiskResult Refused(string reason) => new(null, reason);
}

/// <summary>The risk engine's answer to a batch: every request priced, in request order, or the reason none could be.</summary>
[GenerateSerializer, Immutable, Alias("aml.RiskBatchResult")]
public sealed record RiskBatchResult(IReadOnlyList<RiskAssessment>? Assessments, string? Refusal)
{
    /// <summary>Priced.</summary>
    public static RiskBatchResult Priced(IReadOnlyList<RiskAssessment> assessments) => new(assessments, null);

    /// <summary>Not priced, and why.</summary>
    public static RiskBatchResult Refused(string reason) => new(null, reason);
}

/// <summary>
/// What an asset's risk grain serves now, for the engine workers: the model set by hash (and the folder it was read
/// from when the silo has no model store to load it by hash), the market's features at its latest closed candle, and
/// which sides the drift watch prices by the conservative fallback; or <paramref name="Refusal"/>, why nothing can be
/// priced (no model set, no features yet).
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.RiskServing")]
public sealed record RiskServing(string? ModelHash, string? ModelDirectory, MarketFeatures? Features, string? Refusal, RiskFallback Fallback);

/// <summary>Which sides of an asset the drift watch has fallen back: a side in fallback is priced inside the conservative policy's bounds.</summary>
[GenerateSerializer, Immutable, Alias("aml.RiskFallback")]
public sealed record RiskFallback(bool Long, bool Short)
{
    /// <summary>Both sides on the model's own terms.</summary>
    public static readonly RiskFallback None = new(false, false);

    /// <summary>Whether <paramref name="isLong"/>'s side is in fallback.</summary>
    public bool Side(bool isLong) => isLong ? Long : Short;

    /// <summary>Either side is.</summary>
    public bool Any => Long || Short;
}

/// <summary>Why the models decided as they did: the inputs that moved the answer most.</summary>
[GenerateSerializer, Immutable, Alias("aml.RiskExplanation")]
public sealed record RiskExplanation(IReadOnlyList<FeatureContribution> TopContributions);

/// <summary>One input's name, value and its contribution to a model's output.</summary>
[GenerateSerializer, Immutable, Alias("aml.FeatureContribution")]
public sealed record FeatureContribution(string Model, string Feature, float Value, float Contribution);

/// <summary>The model set a risk grain is serving.</summary>
[GenerateSerializer, Immutable, Alias("aml.ModelStatus")]
public sealed record ModelStatus(string Asset, string ModelHash, string Directory, DateTimeOffset LoadedAt, long Assessments);

/// <summary>
/// A trader's behaviour profile, the per-user input of the risk score. Until real history accumulates the engine
/// starts every trader from the simulated population's prior (see design/RISK.md).
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.TraderProfile")]
public sealed record TraderProfile(
    string Trader,
    int PositionsOpened,
    int Liquidations,
    double SmoothedLiquidationRate,
    double MeanLeverage,
    double MeanHoldingHours,
    long RecentPnl,
    double ActivityPerDay);

/// <summary>A finished position's outcome, fed to the trader profile and to the training store.</summary>
[GenerateSerializer, Immutable, Alias("aml.PositionOutcome")]
public sealed record PositionOutcome(string PositionId, bool Liquidated, long Pnl, double LeverageUsed, TimeSpan Held, DateTimeOffset ClosedAt);

/// <summary>One side of the drift watch: matured decisions in its window, their coverage (null before any), whether it falls back.</summary>
[GenerateSerializer, Immutable, Alias("aml.SideDrift")]
public sealed record SideDrift(int Matured, double? Coverage, bool Fallback);

/// <summary>
/// The drift watch of one asset's champion: its live coverage per side over the last <paramref name="Window"/> matured
/// decisions against <paramref name="Target"/>; a side below the target by more than <paramref name="Margin"/> is priced by
/// the conservative fallback until it is back within <paramref name="Recovery"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.DriftStatus")]
public sealed record DriftStatus(string Asset, string ModelHash, double Target, double Margin, double Recovery, int Window, SideDrift Long, SideDrift Short);

/// <summary>
/// Where an asset's learning loop stands: the shadow challenger (if any), its stage (<c>none</c>, <c>shadow</c>,
/// <c>proposed</c>: queued on-chain, waiting for the governance delay), the last verdict, and a proposal's operation.
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.TrainerStatus")]
public sealed record TrainerStatus(string Asset, string Stage, string? ChallengerHash, string? Verdict, string? GovernanceOpId, ulong GovernanceEta);
