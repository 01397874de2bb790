using Aml.Orleans.Risk;

namespace Aml.Orleans.Grains.Risk;

/// <summary>Where each asset's training history is, how often to retrain, and what a shadow challenger must show.</summary>
public sealed class TrainerOptions
{
    /// <summary>Candle files per asset (merged in time order).</summary>
    public Dictionary<string, string[]> History { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Training starts here (null: at the first candle).</summary>
    public DateTimeOffset? HistoryFrom { get; set; }

    /// <summary>The most recent stretch, held out of training, on which challenger and champion are compared.</summary>
    public TimeSpan RecentWindow { get; set; } = TimeSpan.FromDays(60);

    /// <summary>How often the reminder retrains, or reviews the challenger in shadow and a pending promotion.</summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Matured decisions per side a shadow challenger is judged on (<see cref="PromotionRule"/>). 250 a side: about ten
    /// days of one decision an hour a side, so a verdict spans more than one volatility regime and a single crash day
    /// (every position in flight missing together) is a tenth of the sample, not most of it.
    /// </summary>
    public int ShadowDecisions { get; set; } = 250;

    /// <summary>Training settings.</summary>
    public RiskTrainingOptions Training { get; set; } = new();
}

/// <summary>A trainer's durable state: where the loop stands and the last verdict.</summary>
[GenerateSerializer, Alias("aml.TrainerState")]
public sealed class TrainerState
{
    /// <summary>A first set waiting for its registration when nothing was served yet (no champion to shadow).</summary>
    [Id(0)] public string? PendingDirectory { get; set; }
    [Id(1)] public string? PendingHash { get; set; }
    [Id(2)] public string? LastVerdict { get; set; }
    [Id(3)] public DateTimeOffset? LastRunAt { get; set; }

    /// <summary>The challenger in shadow or proposed, and its stage (<see cref="TrainerStages"/>).</summary>
    [Id(4)] public string? ChallengerHash { get; set; }
    [Id(5)] public string Stage { get; set; } = TrainerStages.None;

    /// <summary>The proposal's governance operation (empty when the admin queues it) and its eta.</summary>
    [Id(6)] public string? OpId { get; set; }
    [Id(7)] public ulong Eta { get; set; }

    /// <summary>Why the challenger was proposed (the shadow verdict), repeated while the proposal waits.</summary>
    [Id(8)] public string? ProposalReason { get; set; }
}

/// <summary>The stages of <see cref="TrainerState.Stage"/>.</summary>
public static class TrainerStages
{
    /// <summary>No challenger: the next tick retrains.</summary>
    public const string None = "none";

    /// <summary>The challenger scores decisions in shadow until the verdict.</summary>
    public const string Shadow = "shadow";

    /// <summary>It won: its registration is queued on-chain, and the risk grain switches once the chain allows it.</summary>
    public const string Proposed = "proposed";
}
