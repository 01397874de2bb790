using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>
/// The oracle's state as a row journal: it remembers what the store holds and turns the state in memory into a
/// <see cref="OracleJournalDelta"/> of only what changed since the last write: the entries the grain said it changed
/// (<see cref="Changed"/>), the queue's order for them, the transactions and live CLOSEs that differ from the stored
/// ones, and the audit rows of the same decisions, written together in one batch. <see cref="Rebuild"/> turns the stored
/// rows back into the state. A write that fails leaves everything to write again next time.
/// </summary>
public sealed class OracleJournal
{
    // What the store holds, as of the last write that succeeded.
    private readonly HashSet<string> _storedEntries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _storedQueue = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JournalTransactionMove> _storedTransactions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SignedDecision> _storedCloses = new(StringComparer.Ordinal);
    private ulong _storedBatchNonce;

    // Entries changed since the last write (by digest), and audit rows of a state written before the journal.
    private readonly Dictionary<string, OracleEntry> _changed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DecisionAudit> _legacyAudits = new(StringComparer.Ordinal);

    // Queued entries whose audit row may not be written yet: a decision just taken in is audited by the write that next
    // changes it (it is sent) or by the turn's closing write, not by the intake write on the tick-to-signed path. Its
    // row in the journal is what makes it durable; after a crash every queued entry is audited again (idempotent).
    private readonly Dictionary<string, OracleEntry> _auditDue = new(StringComparer.Ordinal);
    private DateTimeOffset? _pruneBefore;
    private long _nextSeq = 1;

    /// <summary>The version of the last write (0: nothing stored yet).</summary>
    public long Version { get; private set; }

    /// <summary>True while an entry's change or an audit row waits for a write.</summary>
    public bool HasChanges => _changed.Count > 0 || _legacyAudits.Count > 0 || _auditDue.Count > 0;

    /// <summary>True while a queued entry's audit row waits for a write (<see cref="Delta"/> with <c>withDueAudits</c>).</summary>
    public bool HasAuditDue => _auditDue.Count > 0;

    /// <summary>
    /// <paramref name="entry"/> changed (or was taken in): the next write stores its row, when the state holds it, and its
    /// audit row in any case (a decision refused at intake is audited, not kept).
    /// </summary>
    public void Changed(OracleEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _changed[entry.Digest] = entry;
    }

    /// <summary>The state <paramref name="rows"/> store; the journal then knows them as stored.</summary>
    public OracleState Rebuild(OracleJournalRows rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var state = new OracleState { NextBatchNonce = rows.NextBatchNonce };
        foreach (var row in rows.Entries)
        {
            var entry = state.Entries[row.Progress.Digest] = row.ToEntry();
            _storedEntries.Add(row.Progress.Digest);
            if (entry.Status == SubmissionStatus.Queued)
            {
                _auditDue[entry.Digest] = entry; // its audit row may not have been written before the crash
            }

            if (row.Progress.QueueSeq is { } seq)
            {
                _storedQueue[row.Progress.Digest] = seq;
            }
        }

        state.Queue = [.. _storedQueue.OrderBy(q => q.Value).Select(q => q.Key)];
        foreach (var row in rows.Transactions.OrderBy(t => t.Seq))
        {
            (row.Mined ? state.Unconfirmed : state.InFlightTransactions).Add(row.ToTransaction());
            _storedTransactions[row.Hash] = row.Move;
        }

        foreach (var row in rows.Closes)
        {
            state.LiveCloses[row.PositionId] = row.Close;
            _storedCloses[row.PositionId] = row.Close;
        }

        var seqs = _storedQueue.Values.Concat(rows.Transactions.Select(t => t.Seq)).DefaultIfEmpty(0);
        (_nextSeq, _storedBatchNonce, Version) = (seqs.Max() + 1, rows.NextBatchNonce, rows.Version);
        return state;
    }

    /// <summary>
    /// <paramref name="state"/> was stored whole, before the journal (one grain-state blob): the next write stores all of
    /// it, with the audit rows it had staged.
    /// </summary>
    public void Import(OracleState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (var entry in state.Entries.Values)
        {
            Changed(entry);
        }

        foreach (var audit in state.AuditOutbox.Values)
        {
            _legacyAudits[audit.Digest] = audit;
        }

        state.AuditOutbox.Clear();
    }

    /// <summary>
    /// Removes from <paramref name="state"/> the settled entries last updated before <paramref name="horizon"/> that
    /// have no change waiting, and has the next write delete their rows. Returns how many went.
    /// </summary>
    public int Prune(OracleState state, DateTimeOffset horizon)
    {
        ArgumentNullException.ThrowIfNull(state);
        var gone = state.Entries.Values.Where(e => IsSettled(e.Status) && e.UpdatedAt < horizon && !_changed.ContainsKey(e.Digest))
            .Select(e => e.Digest).ToList();
        foreach (var digest in gone)
        {
            state.Entries.Remove(digest);
            _storedEntries.Remove(digest);
            _storedQueue.Remove(digest);
        }

        if (gone.Count > 0)
        {
            _pruneBefore = horizon;
        }

        return gone.Count;
    }

    /// <summary>Neither queued nor sent: what pruning may delete (here and in the store's rows).</summary>
    public static bool IsSettled(SubmissionStatus status) => status is not (SubmissionStatus.Queued or SubmissionStatus.Sent);

    /// <summary>
    /// What changed in <paramref name="state"/> since the last write; null when nothing did. The audit rows of entries
    /// taken in and still queued wait, unless <paramref name="withDueAudits"/>.
    /// </summary>
    public OracleJournalDelta? Delta(OracleState state, bool withDueAudits = false)
    {
        ArgumentNullException.ThrowIfNull(state);
        var delta = new OracleJournalDelta { ExpectedVersion = Version, NextBatchNonce = state.NextBatchNonce, PruneBefore = _pruneBefore };
        AddEntries(state, delta, withDueAudits);
        AddTransactions(state, delta);
        AddCloses(state, delta);
        var unchanged = delta.RowCount == 1 && delta.AuditsDeferred.Count == 0 && state.NextBatchNonce == _storedBatchNonce && _pruneBefore is null;
        return unchanged ? null : delta;
    }

    /// <summary><paramref name="delta"/> (from <see cref="Delta"/>) is stored: the journal now knows it as stored.</summary>
    public void Written(OracleJournalDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        foreach (var progress in delta.NewEntries.Select(e => e.Progress).Concat(delta.ChangedEntries))
        {
            _storedEntries.Add(progress.Digest);
            if (progress.QueueSeq is { } seq)
            {
                _storedQueue[progress.Digest] = seq;
            }
            else
            {
                _storedQueue.Remove(progress.Digest);
            }
        }

        foreach (var move in delta.NewTransactions.Select(t => t.Move).Concat(delta.MovedTransactions))
        {
            _storedTransactions[move.Hash] = move;
        }

        delta.RemovedTransactions.ForEach(hash => _storedTransactions.Remove(hash));
        delta.Closes.ForEach(c => _storedCloses[c.PositionId] = c.Close);
        delta.RemovedCloses.ForEach(id => _storedCloses.Remove(id));
        foreach (var digest in delta.Audits.Select(a => a.Digest).Concat(delta.AuditsDeferred.Select(e => e.Digest)))
        {
            _changed.Remove(digest);
            _legacyAudits.Remove(digest);
            _auditDue.Remove(digest);
        }

        delta.AuditsDeferred.ForEach(e => _auditDue[e.Digest] = e);

        (_storedBatchNonce, Version) = (delta.NextBatchNonce, delta.ExpectedVersion + 1);
        if (delta.PruneBefore == _pruneBefore)
        {
            _pruneBefore = null;
        }
    }

    private void AddEntries(OracleState state, OracleJournalDelta delta, bool withDueAudits)
    {
        bool Held(string digest) => _changed.TryGetValue(digest, out var entry) &&
                                    state.Entries.TryGetValue(digest, out var held) && ReferenceEquals(entry, held);

        var queueSeqs = JournalOrder.Assign(state.Queue, Held, d => _storedQueue.TryGetValue(d, out var s) ? s : null, ref _nextSeq);
        foreach (var (digest, entry) in _changed)
        {
            var held = Held(digest);
            if (held && entry.Status == SubmissionStatus.Queued && !withDueAudits)
            {
                delta.AuditsDeferred.Add(entry);
            }
            else
            {
                delta.Audits.Add(entry.ToAudit());
            }

            if (held)
            {
                AddEntry(delta, entry, queueSeqs);
            }
        }

        if (withDueAudits)
        {
            delta.Audits.AddRange(_auditDue.Values.Where(e => !_changed.ContainsKey(e.Digest)).Select(e => e.ToAudit()));
        }

        // Entries the queue renumbered without a change of their own (their place moved), and any that left the queue
        // without one (their stored place must go, or a restart would queue them again).
        var queued = new HashSet<string>(state.Queue, StringComparer.Ordinal);
        var moved = queueSeqs.Keys.Concat(_storedQueue.Keys.Where(d => !queued.Contains(d)));
        foreach (var digest in moved.Where(d => !_changed.ContainsKey(d)).Distinct(StringComparer.Ordinal).ToList())
        {
            if (state.Entries.TryGetValue(digest, out var entry))
            {
                AddEntry(delta, entry, queueSeqs);
            }
        }

        delta.Audits.AddRange(_legacyAudits.Values.Where(a => !_changed.ContainsKey(a.Digest) && !(withDueAudits && _auditDue.ContainsKey(a.Digest))));
    }

    private void AddEntry(OracleJournalDelta delta, OracleEntry entry, Dictionary<string, long> queueSeqs)
    {
        long? seq = queueSeqs.TryGetValue(entry.Digest, out var s) ? s : null;
        if (_storedEntries.Contains(entry.Digest))
        {
            delta.ChangedEntries.Add(JournalEntryProgress.Of(entry, seq));
        }
        else
        {
            delta.NewEntries.Add(JournalEntryRow.Of(entry, seq));
        }
    }

    private void AddTransactions(OracleState state, OracleJournalDelta delta)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        AddTransactionList(state.InFlightTransactions, mined: false, delta, present);
        AddTransactionList(state.Unconfirmed, mined: true, delta, present);
        delta.RemovedTransactions.AddRange(_storedTransactions.Keys.Where(hash => !present.Contains(hash)));
    }

    private void AddTransactionList(List<OracleTransaction> list, bool mined, OracleJournalDelta delta, HashSet<string> present)
    {
        var byHash = list.ToDictionary(t => t.Hash, StringComparer.Ordinal);
        bool Moved(string hash) => !_storedTransactions.TryGetValue(hash, out var stored) || stored.Mined != mined ||
                                   stored.Block != byHash[hash].Block || stored.BlockHash != byHash[hash].BlockHash;

        var seqs = JournalOrder.Assign(
            [.. list.Select(t => t.Hash)], Moved, h => _storedTransactions.TryGetValue(h, out var s) && s.Mined == mined ? s.Seq : null, ref _nextSeq);
        foreach (var tx in list)
        {
            present.Add(tx.Hash);
            if (!seqs.TryGetValue(tx.Hash, out var seq))
            {
                continue; // stored as it is
            }

            if (_storedTransactions.ContainsKey(tx.Hash))
            {
                delta.MovedTransactions.Add(new JournalTransactionMove(tx.Hash, mined, tx.Block, tx.BlockHash, seq));
            }
            else
            {
                delta.NewTransactions.Add(JournalTransactionRow.Of(tx, mined, seq));
            }
        }
    }

    private void AddCloses(OracleState state, OracleJournalDelta delta)
    {
        foreach (var (positionId, close) in state.LiveCloses)
        {
            if (!_storedCloses.TryGetValue(positionId, out var stored) || !ReferenceEquals(stored, close))
            {
                delta.Closes.Add(new JournalCloseRow(positionId, close));
            }
        }

        delta.RemovedCloses.AddRange(_storedCloses.Keys.Where(id => !state.LiveCloses.ContainsKey(id)));
    }
}
