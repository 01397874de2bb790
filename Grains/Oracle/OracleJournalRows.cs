using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>
/// Where the oracle's journal lives (<see cref="OracleJournal"/> decides what to write): PostgreSQL
/// (<c>Storage/OracleJournalTable</c>) or, on a silo without a database, memory.
/// </summary>
public interface IOracleJournalStore
{
    /// <summary>Every row stored for <paramref name="oracleKey"/>; null when it has none (a new oracle).</summary>
    Task<OracleJournalRows?> LoadAsync(string oracleKey, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes <paramref name="delta"/> all or nothing, with its audit rows, advancing the version from
    /// <see cref="OracleJournalDelta.ExpectedVersion"/>; throws <see cref="global::Orleans.Storage.InconsistentStateException"/>
    /// (and writes nothing) when the stored version is another. Returns false when the audit table refused the audit rows:
    /// they are then staged, durable with the rest, until <see cref="DrainAuditAsync"/> gets them in.
    /// </summary>
    Task<bool> WriteAsync(string oracleKey, OracleJournalDelta delta, CancellationToken cancellationToken = default);

    /// <summary>Moves staged audit rows into the audit table; true when none is left.</summary>
    Task<bool> DrainAuditAsync(CancellationToken cancellationToken = default);
}

/// <summary>An oracle's stored rows, as loaded; <paramref name="AuditStaged"/> when audit rows wait in the outbox.</summary>
public sealed record OracleJournalRows(
    long Version,
    ulong NextBatchNonce,
    IReadOnlyList<JournalEntryRow> Entries,
    IReadOnlyList<JournalTransactionRow> Transactions,
    IReadOnlyList<JournalCloseRow> Closes,
    bool AuditStaged = false);

/// <summary>One decision the oracle holds: what was submitted (written once) and its progress.</summary>
public sealed record JournalEntryRow(
    Decision Decision, string? TraderSignature, string? TraceParent, DateTimeOffset QueuedAt, JournalEntryProgress Progress)
{
    /// <summary>The row of <paramref name="entry"/> at queue position <paramref name="queueSeq"/> (null: not queued).</summary>
    public static JournalEntryRow Of(OracleEntry entry, long? queueSeq)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new(entry.Decision, entry.TraderSignature, entry.TraceParent, entry.QueuedAt, JournalEntryProgress.Of(entry, queueSeq));
    }

    /// <summary>The entry this row stores.</summary>
    public OracleEntry ToEntry() => new()
    {
        Decision = Decision, Digest = Progress.Digest, TraderSignature = TraderSignature, SignerBitmap = Progress.SignerBitmap,
        Status = Progress.Status, TransactionHash = Progress.TransactionHash, Outcome = Progress.Outcome, UpdatedAt = Progress.UpdatedAt,
        TraceParent = TraceParent, QueuedAt = QueuedAt, SignedAt = Progress.SignedAt,
    };
}

/// <summary>The part of a decision's row that changes as it moves; <see cref="QueueSeq"/> orders the queue (null: not queued).</summary>
public sealed record JournalEntryProgress(
    string Digest, SubmissionStatus Status, string SignerBitmap, string? TransactionHash, string? Outcome,
    DateTimeOffset UpdatedAt, DateTimeOffset? SignedAt, long? QueueSeq)
{
    /// <summary>The progress of <paramref name="entry"/> now.</summary>
    public static JournalEntryProgress Of(OracleEntry entry, long? queueSeq)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new(entry.Digest, entry.Status, entry.SignerBitmap, entry.TransactionHash, entry.Outcome, entry.UpdatedAt, entry.SignedAt, queueSeq);
    }
}

/// <summary>
/// One signed transaction: in flight (<see cref="Mined"/> false) or mined and watched for a reorg, ordered within its list
/// by <see cref="Seq"/>.
/// </summary>
public sealed record JournalTransactionRow(
    string Hash, string Raw, ulong Nonce, IReadOnlyList<string> Digests, ulong? BatchNonce, DateTimeOffset SentAt,
    bool Mined, ulong Block, string? BlockHash, long Seq)
{
    /// <summary>The row of <paramref name="tx"/> in the list <paramref name="mined"/> names, at <paramref name="seq"/>.</summary>
    public static JournalTransactionRow Of(OracleTransaction tx, bool mined, long seq)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return new(tx.Hash, tx.Raw, tx.Nonce, [.. tx.Digests], tx.BatchNonce, tx.SentAt, mined, tx.Block, tx.BlockHash, seq);
    }

    /// <summary>What moved since the row was inserted (its list, its block, its place).</summary>
    public JournalTransactionMove Move => new(Hash, Mined, Block, BlockHash, Seq);

    /// <summary>The transaction this row stores.</summary>
    public OracleTransaction ToTransaction() => new()
    {
        Hash = Hash, Raw = Raw, Nonce = Nonce, Digests = [.. Digests], BatchNonce = BatchNonce, SentAt = SentAt, Block = Block, BlockHash = BlockHash,
    };
}

/// <summary>The columns of a stored transaction that change: which list holds it, where it was mined, its place.</summary>
public sealed record JournalTransactionMove(string Hash, bool Mined, ulong Block, string? BlockHash, long Seq);

/// <summary>A position's live CLOSE.</summary>
public sealed record JournalCloseRow(string PositionId, SignedDecision Close);

/// <summary>
/// What one journal write stores: the rows changed since the last write and the audit rows of the same decisions, all or
/// nothing. <see cref="PruneBefore"/>, when set, deletes the settled entries last updated before it.
/// </summary>
public sealed class OracleJournalDelta
{
    /// <summary>The version the writer read (0: nothing stored yet); the write makes it one more.</summary>
    public long ExpectedVersion { get; init; }

    /// <summary>The oracle's next batch nonce.</summary>
    public ulong NextBatchNonce { get; init; }

    /// <summary>Decisions not stored yet: the whole row.</summary>
    public List<JournalEntryRow> NewEntries { get; } = [];

    /// <summary>Stored decisions that moved: their progress only.</summary>
    public List<JournalEntryProgress> ChangedEntries { get; } = [];

    /// <summary>Transactions not stored yet, with their raw bytes.</summary>
    public List<JournalTransactionRow> NewTransactions { get; } = [];

    /// <summary>Stored transactions that moved (mined, reorged, re-included elsewhere).</summary>
    public List<JournalTransactionMove> MovedTransactions { get; } = [];

    /// <summary>Stored transactions that left both lists (confirmed, dropped, requeued), by hash.</summary>
    public List<string> RemovedTransactions { get; } = [];

    /// <summary>Live CLOSEs new or replaced.</summary>
    public List<JournalCloseRow> Closes { get; } = [];

    /// <summary>Live CLOSEs gone (expired), by position id.</summary>
    public List<string> RemovedCloses { get; } = [];

    /// <summary>The newest audit row of every decision this write touches (distinct digests).</summary>
    public List<DecisionAudit> Audits { get; } = [];

    /// <summary>Entries taken in and still queued whose audit row waits for a later write (their journal row is in this one).</summary>
    public List<OracleEntry> AuditsDeferred { get; } = [];

    /// <summary>When set, the settled entries (neither queued nor sent) last updated before it are deleted.</summary>
    public DateTimeOffset? PruneBefore { get; init; }

    /// <summary>Rows this write inserts, updates or deletes (the head row included), for the flush's telemetry.</summary>
    public int RowCount => 1 + NewEntries.Count + ChangedEntries.Count + NewTransactions.Count + MovedTransactions.Count +
                           RemovedTransactions.Count + Closes.Count + RemovedCloses.Count + Audits.Count;
}
