namespace Aml.Orleans.Grains.Risk;

/// <summary>Where the risk grains find model sets and how much they explain.</summary>
public sealed class RiskOptions
{
    /// <summary>Model sets live in <c>{ModelsRoot}/{asset}</c> until a trainer promotes another directory.</summary>
    public string ModelsRoot { get; set; } = "models";

    /// <summary>How many feature contributions an assessment carries.</summary>
    public int ExplainTop { get; set; } = 5;

    /// <summary>
    /// Drift watch: the champion's live coverage per side is taken over its last this many matured decisions (N). 50 a
    /// side: at the 95 % target, independent decisions would show 8 or more misses (coverage below 85 %) by chance 0.3 %
    /// of the time; misses of overlapping 24 h windows come together, which is what a real drift looks like.
    /// </summary>
    public int DriftWindow { get; set; } = 50;

    /// <summary>A side falls back once its live coverage is below the target (1 − α, 95 %) by more than this (10 points: below 85 %).</summary>
    public double DriftMargin { get; set; } = 0.10;

    /// <summary>A side in fallback returns once its live coverage is within this of the target again (5 points: 90 % or more).</summary>
    public double DriftRecovery { get; set; } = 0.05;
}

/// <summary>Whether a model hash may be used for decisions: registered in the contract's model registry.</summary>
public interface IModelRegistry
{
    /// <summary>True when the contract accepts decisions made with <paramref name="modelHash"/>.</summary>
    Task<bool> IsAllowedAsync(string modelHash, CancellationToken cancellationToken = default);
}

/// <summary>A model registration queued on-chain: its governance operation and when it may run (0 and applied: ran at once, the delay being 0).</summary>
[GenerateSerializer, Immutable, Alias("aml.ModelProposal")]
public sealed record ModelProposal(string OpId, ulong Eta, bool Applied);

/// <summary>Where a queued model registration stands.</summary>
public enum ProposalState
{
    /// <summary>Queued, its delay not over yet.</summary>
    Waiting,

    /// <summary>Run now: the registry allows the hash.</summary>
    Executed,

    /// <summary>No longer queued: run by someone else, or cancelled by the guardian.</summary>
    Gone,
}

/// <summary>
/// Proposes a promoted challenger's hash to the contract's model registry through the governance delay
/// (<c>setModel(hash, true)</c> is queued; the guardian may cancel it while it waits). Registered only where the silo
/// holds the admin key (a dev stack, <c>Aml:Chain:AdminKey</c>); without one the admin queues it from the admin page,
/// and the trainer waits for the registry to allow the hash either way.
/// </summary>
public interface IModelProposer
{
    /// <summary>Queues the registration of <paramref name="modelHash"/>.</summary>
    Task<ModelProposal> ProposeAsync(string modelHash, CancellationToken cancellationToken = default);

    /// <summary>Runs the queued operation once its delay is over.</summary>
    Task<ProposalState> ExecuteIfReadyAsync(string opId, CancellationToken cancellationToken = default);
}
