namespace Aml.Orleans.Grains.Interfaces;

/// <summary>
/// What the risk models are asked about one position of one trader. <paramref name="Explain"/> asks for the inputs
/// that moved the answer (a quote shows them to the trader); a reassessment compares terms only and leaves it false.
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.RiskRequest")]
public sealed record RiskRequest(bool IsLong, long Collateral, long RequestedLeverageX100, TraderProfile Trader, bool Explain = false);

/// <summary>
/// The models' answer, clamped to the market's on-chain bounds, with what it takes to recompute it:
/// the model hash and the hash of the exact inputs.
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
    RiskExplanation Explanation);

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
