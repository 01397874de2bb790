using System.Numerics;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Abi;
using Aml.Orleans.Grains.Interfaces;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;
using Aml.Orleans.Grains.Oracle;

namespace Aml.Orleans.Grains.Tests.Oracle;

public sealed class TransactionTrackerTests : IDisposable
{
    private readonly OracleParts _parts = new();
    private readonly OracleState _state = new();
    private readonly TransactionTracker _tracker;
    private readonly List<OracleEntry> _entries;

    public TransactionTrackerTests()
    {
        _tracker = new TransactionTracker(() => _state, _parts.Clock);
        _entries = Enumerable.Range(1, 4).Select(i => _parts.Entry(OracleParts.Decision(DecisionKind.Liquidate, position: i))).ToList();
        foreach (var entry in _entries)
        {
            _state.Entries[entry.Digest] = entry;
            _state.Queue.Add(entry.Digest);
        }
    }

    public void Dispose() => _parts.Dispose();

    [Fact]
    public async Task Sent_TwoOfFour_TheyLeaveTheQueueMarkedSentWithTheHashAndTheRestKeepsItsOrder()
    {
        var tx = await SignedAsync(nonce: 5);

        var inFlight = _tracker.Sent(tx, batchNonce: 9, _entries.Take(2).ToList(), "0xb");

        Assert.Same(inFlight, Assert.Single(_state.InFlightTransactions));
        Assert.Equal((tx.Hash.ToString(), tx.RawHex, 5UL, (ulong?)9UL), (inFlight.Hash, inFlight.Raw, inFlight.Nonce, inFlight.BatchNonce));
        Assert.Equal(_entries.Skip(2).Select(e => e.Digest), _state.Queue);
        Assert.All(_entries.Take(2), e => Assert.Equal((SubmissionStatus.Sent, tx.Hash.ToString(), "0xb"), (e.Status, e.TransactionHash, e.SignerBitmap)));
        Assert.All(_entries.Take(2), e => Assert.Equal(_parts.Clock.GetUtcNow(), e.SignedAt));
    }

    [Fact]
    public async Task Sent_WhileAnotherIsInFlight_BothInFlightInNonceOrder()
    {
        var first = _tracker.Sent(await SignedAsync(nonce: 5), 9, _entries.Take(1).ToList(), "0xb");

        var second = _tracker.Sent(await SignedAsync(nonce: 6), 10, _entries.Skip(1).Take(2).ToList(), "0xb");

        Assert.Equal([first, second], _state.InFlightTransactions);
        Assert.Equal([_entries[3].Digest], _state.Queue);
    }

    [Fact]
    public async Task Sent_TheSameTransactionTwice_RefusedAndTheQueueUnchanged()
    {
        var tx = await SignedAsync(nonce: 5);
        _tracker.Sent(tx, 9, _entries.Take(1).ToList(), "0xb");

        Assert.Throws<InvalidOperationException>(() => _tracker.Sent(tx, 10, _entries.Skip(1).Take(1).ToList(), "0xb"));
        Assert.Equal(SubmissionStatus.Queued, _entries[1].Status);
        Assert.Equal(3, _state.Queue.Count);
    }

    [Fact]
    public void Outcomes_SkippedAndLiquidatedEvents_EachDigestWithItsOwn()
    {
        var (skipped, applied) = (_entries[0].Digest, _entries[1].Digest);
        var position = new Bytes32(new byte[32]);
        PositionEventLog[] logs =
        [
            new("DecisionSkipped", position, Bytes32.Parse(skipped), 0, 0, 10, 0),
            new("PositionLiquidated", position, Bytes32.Parse(applied), 0, 0, 0, 0),
            new("CollateralAdded", position, null, 0, 0, 0, 0), // names no decision
        ];

        var outcomes = TransactionTracker.Outcomes(logs, 42);

        Assert.Equal(2, outcomes.Count);
        Assert.Equal((SubmissionStatus.Skipped, "skipped: NotLiquidatable"), outcomes[skipped]);
        Assert.Equal((SubmissionStatus.Applied, "PositionLiquidated in block 42"), outcomes[applied]);
    }

    [Fact]
    public async Task Mined_OutcomesForOneOfTwo_TheOtherFailsAndTheTransactionIsWatchedForAReorg()
    {
        var inFlight = _tracker.Sent(await SignedAsync(nonce: 5), 9, _entries.Take(2).ToList(), "0xb");
        var outcomes = new Dictionary<string, (SubmissionStatus, string)> { [_entries[0].Digest] = (SubmissionStatus.Applied, "PositionLiquidated in block 42") };

        var settled = _tracker.Mined(inFlight, outcomes, 42, "0x" + new string('c', 64));

        Assert.Equal(_entries.Take(2), settled);
        Assert.Equal(SubmissionStatus.Applied, _entries[0].Status);
        Assert.Equal((SubmissionStatus.Failed, "mined without an event for this decision"), (_entries[1].Status, _entries[1].Outcome));
        Assert.Empty(_state.InFlightTransactions);
        Assert.Equal(42UL, Assert.Single(_state.Unconfirmed, t => ReferenceEquals(t, inFlight)).Block);
    }

    [Fact]
    public async Task Requeue_NonceTakenByAnother_DecisionsBackAtTheHeadInTheirOrderAndTheNextStaysInFlight()
    {
        var first = _tracker.Sent(await SignedAsync(nonce: 5), 9, _entries.Take(2).ToList(), "0xb");
        var second = _tracker.Sent(await SignedAsync(nonce: 6), 10, _entries.Skip(2).Take(1).ToList(), "0xb");

        _tracker.Requeue(first);

        Assert.Equal([second], _state.InFlightTransactions);
        Assert.Equal(new[] { 0, 1, 3 }.Select(i => _entries[i].Digest), _state.Queue);
        Assert.All(_entries.Take(2), e => Assert.Equal((SubmissionStatus.Queued, (string?)null), (e.Status, e.TransactionHash)));
    }

    [Fact]
    public async Task Reorged_MinedTransactionRemoved_BackInFlightWithTheSameBytes()
    {
        var tx = await SignedAsync(nonce: 5);
        var inFlight = _tracker.Sent(tx, 9, _entries.Take(2).ToList(), "0xb");
        _tracker.Mined(inFlight, new Dictionary<string, (SubmissionStatus, string)>(), 42, null);
        var mined = Assert.Single(_state.Unconfirmed);

        var resent = _tracker.Reorged(mined);

        Assert.Empty(_state.Unconfirmed);
        var again = Assert.Single(_state.InFlightTransactions);
        Assert.Equal((tx.Hash.ToString(), tx.RawHex), (again.Hash, again.Raw));
        Assert.All(resent, e => Assert.Equal((SubmissionStatus.Sent, "re-sent: a reorg removed block 42"), (e.Status, e.Outcome)));
    }

    private Task<SignedTransaction> SignedAsync(ulong nonce) =>
        new Eip1559Transaction(6343, nonce, 1, 15, 21_000, _parts.Chain.Contract.Contract, BigInteger.Zero, [1, 2, 3]).SignAsync(OracleParts.SignerSet[0]);
}
