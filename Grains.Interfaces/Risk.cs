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
