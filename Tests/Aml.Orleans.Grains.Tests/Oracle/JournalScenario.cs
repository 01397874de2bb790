using System.Numerics;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Oracle;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;

namespace Aml.Orleans.Grains.Tests.Oracle;

/// <summary>
/// An oracle's state driven through the grain's transitions (intake, sending, mining, a requeue, a reorg, closes,
/// pruning), each followed by a journal write to <see cref="Store"/>; <see cref="ReloadAsync"/> rebuilds the state from
/// the store as an activation would, and <see cref="Canonical"/> compares two states field by field.
/// </summary>
internal sealed class JournalScenario(IOracleJournalStore store, string oracleKey) : IDisposable
{
    private readonly OracleParts _parts = new();
    private readonly OracleJournal _journal = new();
    private int _positions;

    public OracleState State { get; } = new() { NextBatchNonce = 1_000 };

    public IOracleJournalStore Store => store;

    public OracleJournal Journal => _journal;

    public TransactionTracker Tracker => new(() => State, _parts.Clock);

    public OracleParts Parts => _parts;

    /// <summary>Takes in <paramref name="count"/> new liquidations as the grain's intake does.</summary>
    public List<OracleEntry> TakeIn(int count)
    {
        var entries = new List<OracleEntry>();
        for (var i = 0; i < count; i++)
        {
            var entry = _parts.Entry(OracleParts.Decision(DecisionKind.Liquidate, position: ++_positions));
            (entry.QueuedAt, entry.UpdatedAt, entry.TraceParent) = (_parts.Clock.GetUtcNow(), _parts.Clock.GetUtcNow(), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
            State.Entries[entry.Digest] = entry;
            State.Queue.Add(entry.Digest);
            _journal.Changed(entry);
            entries.Add(entry);
        }

        return entries;
    }

    /// <summary>A decision refused at intake: audited, never held.</summary>
    public OracleEntry Refused()
    {
        var entry = _parts.Entry(OracleParts.Decision(DecisionKind.Adjust, position: ++_positions));
        (entry.Status, entry.Outcome, entry.UpdatedAt) = (SubmissionStatus.Failed, "refused before signing: test", _parts.Clock.GetUtcNow());
        _journal.Changed(entry);
        return entry;
    }

    /// <summary>Signs the queue's next <paramref name="size"/> decisions into one transaction with <paramref name="nonce"/>.</summary>
    public async Task<OracleTransaction> SendAsync(int size, ulong nonce)
    {
        var batch = State.Queue.Take(size).Select(d => State.Entries[d]).ToList();
        var tx = await new Eip1559Transaction(6343, nonce, 1, 15, 21_000, _parts.Chain.Contract.Contract, BigInteger.Zero, [1, 2, 3, (byte)nonce])
            .SignAsync(OracleParts.SignerSet[0]);
        var sent = Tracker.Sent(tx, State.NextBatchNonce++, batch, "0x7");
        Changed(batch);
        return sent;
    }

    public void Changed(IEnumerable<OracleEntry> entries)
    {
        foreach (var entry in entries)
        {
            _journal.Changed(entry);
        }
    }

    public void Advance(TimeSpan by) => _parts.Clock.Advance(by);

    /// <summary>The delta of what changed, written; null when nothing did.</summary>
    public async Task<OracleJournalDelta?> WriteAsync()
    {
        if (_journal.Delta(State) is not { } delta)
        {
            return null;
        }

        await store.WriteAsync(oracleKey, delta);
        _journal.Written(delta);
        return delta;
    }

    /// <summary>The state an activation rebuilds from the store now.</summary>
    public async Task<OracleState> ReloadAsync()
    {
        var rows = await store.LoadAsync(oracleKey) ?? throw new InvalidOperationException("nothing stored");
        return new OracleJournal().Rebuild(rows);
    }

    /// <summary>Every field of <paramref name="state"/> that is persisted, in a comparable form.</summary>
    public static IReadOnlyList<string> Canonical(OracleState state)
    {
        var lines = new List<string> { $"nonce {state.NextBatchNonce}", "queue " + string.Join(",", state.Queue) };
        lines.AddRange(state.Entries.Values.OrderBy(e => e.Digest, StringComparer.Ordinal).Select(e =>
            $"entry {e.Digest} {e.Decision} {e.TraderSignature} {e.TraceParent} {e.QueuedAt:O} {e.Status} {e.SignerBitmap} {e.TransactionHash} {e.Outcome} {e.UpdatedAt:O} {e.SignedAt:O}"));
        lines.AddRange(state.InFlightTransactions.Select(t => "in flight " + Transaction(t)));
        lines.AddRange(state.Unconfirmed.Select(t => "unconfirmed " + Transaction(t)));
        lines.AddRange(state.LiveCloses.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"close {c.Key} {c.Value}"));
        return lines;
    }

    private static string Transaction(OracleTransaction t) =>
        $"{t.Hash} {Hex.Encode(Hex.Decode(t.Raw))} {t.Nonce} {string.Join(",", t.Digests)} {t.BatchNonce} {t.SentAt:O} {t.Block} {t.BlockHash}";

    public void Dispose() => _parts.Dispose();
}
