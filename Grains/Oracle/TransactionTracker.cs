using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Interfaces;
using Events = Aml.Orleans.Ethereum.MarginManagerNames.Events;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>
/// The life of the oracle's transactions in its state, as plain transitions the grain applies and then persists: a
/// transaction goes in flight with its decisions marked Sent; mined, its decisions take the outcome its events name and
/// it is watched for a reorg; a reorg puts it back in flight with the same bytes; a transaction whose nonce another one
/// took puts its decisions back at the head of the queue. Each transition returns the entries whose audit rows changed.
/// </summary>
public sealed class TransactionTracker(Func<OracleState> state, TimeProvider clock)
{
    /// <summary>Puts <paramref name="tx"/> in flight carrying <paramref name="batch"/>, which leaves the queue.</summary>
    public OracleTransaction Sent(SignedTransaction tx, ulong? batchNonce, IReadOnlyList<OracleEntry> batch, string signerBitmap)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(batch);
        var s = state();
        if (s.InFlight is { } busy)
        {
            throw new InvalidOperationException($"transaction {busy.Hash} is still in flight");
        }

        var now = clock.GetUtcNow();
        s.InFlight = new OracleTransaction
        {
            Hash = tx.Hash.ToString(), Raw = tx.RawHex, Nonce = tx.Nonce, BatchNonce = batchNonce,
            Digests = batch.Select(e => e.Digest).ToList(), SentAt = now,
        };
        foreach (var entry in batch)
        {
            (entry.Status, entry.TransactionHash, entry.SignerBitmap, entry.UpdatedAt) = (SubmissionStatus.Sent, s.InFlight.Hash, signerBitmap, now);
            s.Queue.Remove(entry.Digest);
        }

        return s.InFlight;
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
    /// The transaction in flight was mined (successfully) in <paramref name="block"/>: each of its decisions takes its
    /// outcome (one the receipt does not name failed), and the transaction is watched for a reorg.
    /// </summary>
    public IReadOnlyList<OracleEntry> Mined(IReadOnlyDictionary<string, (SubmissionStatus Status, string Outcome)> outcomes, ulong block, string? blockHash)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var s = state();
        var inFlight = s.InFlight ?? throw new InvalidOperationException("no transaction is in flight");
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
        s.InFlight = null;
        return batch;
    }

    /// <summary>The transaction in flight ended without applying anything (reverted): it is no longer in flight.</summary>
    public IReadOnlyList<OracleEntry> Dropped()
    {
        var s = state();
        var inFlight = s.InFlight ?? throw new InvalidOperationException("no transaction is in flight");
        s.InFlight = null;
        return Entries(inFlight);
    }

    /// <summary>
    /// Our nonce went to another transaction and the one in flight never landed: its decisions go back to the head of
    /// the queue, in their order, for a new transaction (under a new batch nonce: the old one can no longer be used).
    /// </summary>
    public IReadOnlyList<OracleEntry> Requeue()
    {
        var s = state();
        var inFlight = s.InFlight ?? throw new InvalidOperationException("no transaction is in flight");
        s.Queue.InsertRange(0, inFlight.Digests);
        var batch = Entries(inFlight);
        foreach (var entry in batch)
        {
            (entry.Status, entry.TransactionHash, entry.UpdatedAt) = (SubmissionStatus.Queued, null, clock.GetUtcNow());
        }

        s.InFlight = null;
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
        if (s.InFlight is { } busy)
        {
            throw new InvalidOperationException($"transaction {busy.Hash} is still in flight");
        }

        s.Unconfirmed.Remove(tx);
        s.InFlight = tx;
        var batch = Entries(tx);
        foreach (var entry in batch)
        {
            (entry.Status, entry.Outcome, entry.UpdatedAt) = (SubmissionStatus.Sent, $"re-sent: a reorg removed block {tx.Block}", clock.GetUtcNow());
        }

        return batch;
    }

    private List<OracleEntry> Entries(OracleTransaction tx) => tx.Digests.Select(d => state().Entries[d]).ToList();
}
