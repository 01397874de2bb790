namespace Aml.Orleans.Grains.Interfaces;

/// <summary>An M-of-N quorum over a decision digest, as the contract's <c>Quorum</c> takes it.</summary>
[GenerateSerializer, Immutable, Alias("aml.SignedDecision")]
public sealed record SignedDecision(Decision Decision, string Digest, string SignerBitmap, string Signatures);

/// <summary>Where a decision stands in the oracle's pipeline.</summary>
[GenerateSerializer, Alias("aml.SubmissionStatus")]
public enum SubmissionStatus
{
    /// <summary>Signed and waiting for the next batch.</summary>
    Queued,

    /// <summary>In a transaction that was sent; receipt not yet seen.</summary>
    Sent,

    /// <summary>Executed on-chain and applied.</summary>
    Applied,

    /// <summary>Executed on-chain but skipped by the contract (it no longer held, e.g. the position was topped up).</summary>
    Skipped,

    /// <summary>Refused before sending (bounds) or reverted on-chain.</summary>
    Failed,
}

/// <summary>The oracle's record of one decision: the audit row joined to the chain by digest.</summary>
/// <remarks>
/// The stamps say where the time between submission and signing went: taken in (<paramref name="QueuedAt"/>), stored
/// with its group (<paramref name="CommittedAt"/>), signed into a transaction (<paramref name="SignedAt"/>), that
/// transaction stored and handed to the broadcaster (<paramref name="BroadcastAt"/>). The audit table keeps only
/// <paramref name="SignedAt"/> (its <c>created_at</c> is when the row was first written).
/// </remarks>
[GenerateSerializer, Immutable, Alias("aml.DecisionAudit")]
public sealed record DecisionAudit(
    string Digest,
    DecisionKind Kind,
    string PositionId,
    string ModelHash,
    string FeaturesHash,
    string SignerBitmap,
    SubmissionStatus Status,
    string? TransactionHash,
    string? Outcome,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? SignedAt = null,
    DateTimeOffset? QueuedAt = null,
    DateTimeOffset? CommittedAt = null,
    DateTimeOffset? BroadcastAt = null);
