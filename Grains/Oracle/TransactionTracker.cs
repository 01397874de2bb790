using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Interfaces;
using Events = Aml.Orleans.Ethereum.MarginManagerNames.Events;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>
/// The life of the oracle's transactions in its state, as plain transitions the grain applies and then persists: a
/// transaction goes in flight with its decisions marked Sent (several may be in flight at once, each with its own
/// nonce); mined, its decisions take the outcome its events name and it is watched for a reorg; a reorg puts it back in
/// flight with the same bytes; a transaction whose nonce another one took puts its decisions back at the head of the
/// queue. Each transition returns the entries whose audit rows changed.
/// </summary>
public sealed class TransactionTracker(Func<OracleState> state, TimeProvider clock)
{
    /// <summary>
    /// Puts <paramref name="tx"/> in flight, after those already in flight, carrying <paramref name="batch"/>, which
    /// leaves the queue; each decision is stamped signed now (once: a requeued one keeps its first stamp).
    /// </summary>
    public OracleTransaction Sent(SignedTransaction tx, ulong? batchNonce, IReadOnlyList<OracleEntry> batch, string signerBitmap)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(batch);
        var s = state();
        if (s.InFlightTransactions.Exists(t => t.Hash == tx.Hash.ToString()))
        {
            throw new InvalidOperationException($"transaction {tx.Hash} is in flight already");
        }

        var now = clock.GetUtcNow();
        var sent = new OracleTransaction
        {
            Hash = tx.Hash.ToString(), Raw = tx.RawHex, Nonce = tx.Nonce, BatchNonce = batchNonce,
            Digests = batch.Select(e => e.Digest).ToList(), SentAt = now,
        };
        s.InFlightTransactions.Add(sent);
        var digests = new HashSet<string>(sent.Digests, StringComparer.Ordinal);
        foreach (var entry in batch)
        {
            (entry.Status, entry.TransactionHash, entry.SignerBitmap, entry.UpdatedAt) = (SubmissionStatus.Sent, sent.Hash, signerBitmap, now);
            entry.SignedAt ??= now;
        }

        s.Queue.RemoveAll(digests.Contains); // one pass: a batch of 50 out of a queue of thousands
        return sent;
    }

    /// <summary>
    /// What each decision named by <paramref name="logs"/> (the contract's position events of one receipt) became:
    /// skipped with the contract's reason, or applied.
    /// </summary>
    public static Dictionary<string, (SubmissionStatus Status, string Outcome)> Outcomes(IEnumerable<PositionEventLog> logs, ulong? block)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var outcomes = new Dictionary<string, (SubmissionStatus Status, string Outcome)>(StringComparer.Ordinal);
        foreach (var log in logs)
        {
            if (log.DecisionHash is not { } digest)
            {
                continue;
            }

            outcomes[digest.ToString()] = log.Name == Events.DecisionSkipped
                ? (SubmissionStatus.Skipped, $"skipped: {(SkipReason)log.SkipReason}")
                : (SubmissionStatus.Applied, $"{log.Name} in block {block}");
        }

        return outcomes;
    }

    /// <summary>
    /// <paramref name="inFlight"/> was mined (successfully) in <paramref name="block"/>: each of its decisions takes its
    /// outcome (one the receipt does not name failed), and the transaction is watched for a reorg.
    /// </summary>
    public IReadOnlyList<OracleEntry> Mined(
        OracleTransaction inFlight, IReadOnlyDictionary<string, (SubmissionStatus Status, string Outcome)> outcomes, ulong block, string? blockHash)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var s = state();
        TakeOutOfFlight(inFlight);
        var batch = Entries(inFlight);
        foreach (var entry in batch)
        {
            (entry.Status, entry.Outcome) = outcomes.TryGetValue(entry.Digest, out var outcome)
                ? outcome
                : (SubmissionStatus.Failed, "mined without an event for this decision");
            entry.UpdatedAt = clock.GetUtcNow();
        }

        (inFlight.Block, inFlight.BlockHash) = (block, blockHash);
        s.Unconfirmed.Add(inFlight);
        return batch;
    }

    /// <summary><paramref name="inFlight"/> ended without applying anything (reverted): it is no longer in flight.</summary>
    public IReadOnlyList<OracleEntry> Dropped(OracleTransaction inFlight)
    {
        TakeOutOfFlight(inFlight);
        return Entries(inFlight);
    }

    /// <summary>
    /// Our nonce went to another transaction and <paramref name="inFlight"/> never landed: its decisions go back to the
    /// head of the queue, in their order, for a new transaction (under a new batch nonce: the old one can no longer be used).
    /// </summary>
    public IReadOnlyList<OracleEntry> Requeue(OracleTransaction inFlight)
    {
        var s = state();
        TakeOutOfFlight(inFlight);
        s.Queue.InsertRange(0, inFlight.Digests);
        var batch = Entries(inFlight);
        foreach (var entry in batch)
        {
            (entry.Status, entry.TransactionHash, entry.UpdatedAt) = (SubmissionStatus.Queued, null, clock.GetUtcNow());
        }

        return batch;
    }

    /// <summary>
    /// A reorg removed <paramref name="tx"/> (mined, unconfirmed): it goes back in flight with its very same bytes (same
    /// hash, same nonce, which the reorg freed), so its decisions land again exactly once.
    /// </summary>
    public IReadOnlyList<OracleEntry> Reorged(OracleTransaction tx)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var s = state();
        if (s.InFlightTransactions.Exists(t => t.Hash == tx.Hash))
        {
            throw new InvalidOperationException($"transaction {tx.Hash} is in flight already");
        }

        s.Unconfirmed.Remove(tx);
        s.InFlightTransactions.Add(tx);
        var batch = Entries(tx);
        foreach (var entry in batch)
        {
            (entry.Status, entry.Outcome, entry.UpdatedAt) = (SubmissionStatus.Sent, $"re-sent: a reorg removed block {tx.Block}", clock.GetUtcNow());
        }

        return batch;
    }

    private void TakeOutOfFlight(OracleTransaction inFlight)
    {
        ArgumentNullException.ThrowIfNull(inFlight);
        if (!state().InFlightTransactions.Remove(inFlight))
        {
            throw new InvalidOperationException($"transaction {inFlight.Hash} is not in flight");
        }
    }

    private List<OracleEntry> Entries(OracleTransaction tx) => tx.Digests.Select(d => state().Entries[d]).ToList();
}
