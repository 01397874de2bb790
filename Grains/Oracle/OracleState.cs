using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>
/// The oracle's durable state: every decision it has taken in (by digest, for idempotency), the queue of decisions
/// waiting for a transaction, and the transactions in flight — each persisted with its raw bytes before it is
/// broadcast, so that after a crash the very same transaction is sent again instead of a second one. Stored as rows by
/// <see cref="OracleJournal"/> (only what changed, per write); the grain-state blob of this type is read once, to import
/// what an older version stored whole.
/// </summary>
[GenerateSerializer, Alias("aml.OracleState")]
public sealed class OracleState
{
    [Id(0)] public Dictionary<string, OracleEntry> Entries { get; set; } = new(StringComparer.Ordinal);
    [Id(1)] public List<string> Queue { get; set; } = [];

    /// <summary>Next <c>applyDecisions</c> nonce; seeded from the clock so a lost state cannot reuse one.</summary>
    [Id(2)] public ulong NextBatchNonce { get; set; }

    /// <summary>
    /// The one transaction in flight of a state written before several could be (read only to move it into
    /// <see cref="InFlightTransactions"/> on activation).
    /// </summary>
    [Id(3)] public OracleTransaction? InFlight { get; set; }

    /// <summary>Signed transactions sent or to be sent, in nonce order, whose receipt has not been settled yet.</summary>
    [Id(7)] public List<OracleTransaction> InFlightTransactions { get; set; } = [];

    /// <summary>Mined transactions not yet buried under the confirmation depth: a reorg may still undo them.</summary>
    [Id(4)] public List<OracleTransaction> Unconfirmed { get; set; } = [];

    /// <summary>
    /// The live CLOSE of each position (by position id): at most one per position version, so that a trader holding
    /// several signed closes at different prices cannot pick the one the market favours.
    /// </summary>
    [Id(5)] public Dictionary<string, SignedDecision> LiveCloses { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Audit rows an older version staged before its state write and had not written yet (by digest): read only when
    /// importing such a state. The journal writes audit rows in the same transaction as the change they record.
    /// </summary>
    [Id(6)] public Dictionary<string, DecisionAudit> AuditOutbox { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One decision as the oracle tracks it.</summary>
[GenerateSerializer, Alias("aml.OracleEntry")]
public sealed class OracleEntry
{
    [Id(0)] public Decision Decision { get; set; } = null!;
    [Id(1)] public string Digest { get; set; } = "";
    [Id(2)] public string? TraderSignature { get; set; }
    [Id(3)] public string SignerBitmap { get; set; } = "0x0";
    [Id(4)] public SubmissionStatus Status { get; set; }
    [Id(5)] public string? TransactionHash { get; set; }
    [Id(6)] public string? Outcome { get; set; }
    [Id(7)] public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The W3C trace context of the submission, so the transaction's span links back to the tick that caused it.</summary>
    [Id(8)] public string? TraceParent { get; set; }

    /// <summary>When the oracle took the decision in.</summary>
    [Id(9)] public DateTimeOffset QueuedAt { get; set; }

    /// <summary>When the oracle first signed it into a transaction (null until then); kept through a requeue or a reorg.</summary>
    [Id(10)] public DateTimeOffset? SignedAt { get; set; }

    /// <summary>When the group it joined was stored (its submitter was released then); null until then.</summary>
    [Id(11)] public DateTimeOffset? CommittedAt { get; set; }

    /// <summary>When its first transaction, stored with its bytes, was handed to the broadcaster; null until then.</summary>
    [Id(12)] public DateTimeOffset? BroadcastAt { get; set; }

    /// <summary>The row an operator and the position see.</summary>
    public DecisionAudit ToAudit() => new(
        Digest, Decision.Kind, Decision.PositionId, Decision.ModelHash, Decision.FeaturesHash, SignerBitmap, Status,
        TransactionHash, Outcome, UpdatedAt, SignedAt, QueuedAt == default ? null : QueuedAt, CommittedAt, BroadcastAt);
}

/// <summary>A signed relayer transaction: enough to rebroadcast it byte for byte.</summary>
[GenerateSerializer, Alias("aml.OracleTransaction")]
public sealed class OracleTransaction
{
    [Id(0)] public string Hash { get; set; } = "";
    [Id(1)] public string Raw { get; set; } = "";
    [Id(2)] public ulong Nonce { get; set; }
    [Id(3)] public List<string> Digests { get; set; } = [];

    /// <summary>The batch nonce of an <c>applyDecisions</c>; null for a single-decision transaction.</summary>
    [Id(4)] public ulong? BatchNonce { get; set; }

    [Id(5)] public DateTimeOffset SentAt { get; set; }

    /// <summary>Where it was mined (0 until then); a different hash at that height later means a reorg.</summary>
    [Id(6)] public ulong Block { get; set; }

    [Id(7)] public string? BlockHash { get; set; }
}
