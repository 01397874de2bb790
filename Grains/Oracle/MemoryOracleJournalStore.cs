using System.Collections.Concurrent;
using Orleans.Storage;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>
/// The journal of a silo without a database (memory grain storage, one silo): the rows live as long as the process, so
/// an oracle deactivated and activated again finds its state, with the same version fencing as PostgreSQL. There is no
/// audit table without a database; audit rows are dropped.
/// </summary>
public sealed class MemoryOracleJournalStore : IOracleJournalStore
{
    private readonly ConcurrentDictionary<string, Journal> _journals = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task<OracleJournalRows?> LoadAsync(string oracleKey, CancellationToken cancellationToken = default)
    {
        if (!_journals.TryGetValue(oracleKey, out var journal))
        {
            return Task.FromResult<OracleJournalRows?>(null);
        }

        lock (journal)
        {
            return Task.FromResult<OracleJournalRows?>(new OracleJournalRows(
                journal.Version, journal.NextBatchNonce, [.. journal.Entries.Values], [.. journal.Transactions.Values], [.. journal.Closes.Values]));
        }
    }

    /// <inheritdoc />
    public Task<bool> WriteAsync(string oracleKey, OracleJournalDelta delta, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delta);
        var journal = _journals.GetOrAdd(oracleKey, _ => new Journal());
        lock (journal)
        {
            if (journal.Version != delta.ExpectedVersion)
            {
                throw new InconsistentStateException(
                    $"the oracle journal of {oracleKey} is no longer at version {delta.ExpectedVersion}: another activation wrote it",
                    journal.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), delta.ExpectedVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            Apply(journal, delta);
        }

        return Task.FromResult(true);
    }

    /// <inheritdoc />
    public Task<bool> DrainAuditAsync(CancellationToken cancellationToken = default) => Task.FromResult(true);

    private static void Apply(Journal journal, OracleJournalDelta delta)
    {
        (journal.Version, journal.NextBatchNonce) = (delta.ExpectedVersion + 1, delta.NextBatchNonce);
        delta.NewEntries.ForEach(e => journal.Entries[e.Progress.Digest] = e);
        foreach (var progress in delta.ChangedEntries)
        {
            if (journal.Entries.TryGetValue(progress.Digest, out var row))
            {
                journal.Entries[progress.Digest] = row with { Progress = progress };
            }
        }

        delta.NewTransactions.ForEach(t => journal.Transactions[t.Hash] = t);
        foreach (var move in delta.MovedTransactions)
        {
            if (journal.Transactions.TryGetValue(move.Hash, out var row))
            {
                journal.Transactions[move.Hash] = row with { Mined = move.Mined, Block = move.Block, BlockHash = move.BlockHash, Seq = move.Seq };
            }
        }

        delta.RemovedTransactions.ForEach(hash => journal.Transactions.Remove(hash));
        delta.Closes.ForEach(c => journal.Closes[c.PositionId] = c);
        delta.RemovedCloses.ForEach(id => journal.Closes.Remove(id));
        if (delta.PruneBefore is { } horizon)
        {
            foreach (var digest in journal.Entries.Values
                         .Where(e => OracleJournal.IsSettled(e.Progress.Status) && e.Progress.UpdatedAt < horizon).Select(e => e.Progress.Digest).ToList())
            {
                journal.Entries.Remove(digest);
            }
        }
    }

    private sealed class Journal
    {
        public long Version { get; set; }

        public ulong NextBatchNonce { get; set; }

        public Dictionary<string, JournalEntryRow> Entries { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, JournalTransactionRow> Transactions { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, JournalCloseRow> Closes { get; } = new(StringComparer.Ordinal);
    }
}
