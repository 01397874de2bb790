using System.Numerics;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Oracle;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;

namespace Aml.Orleans.Benchmarks.Oracle;

/// <summary>
/// The oracle's state through a cascade, as the grain moves it with <see cref="TransactionTracker"/>: the intake group of
/// every liquidation, the send round that signs them all into batches, a settle round of 20 receipts. Each enumeration of
/// <see cref="Writes"/> starts from a fresh state, so every store sees the same sequence.
/// </summary>
internal sealed class CascadeStates
{
    public static readonly string[] Steps = ["intake group", "send round", "settle round (20 receipts)"];

    private static readonly LocalKeySigner Relayer = LocalKeySigner.FromHex("0x" + new string('5', 64));
    private readonly List<OracleEntry> _template;
    private readonly List<SignedTransaction> _transactions;
    private readonly int _batchSize;

    private CascadeStates(List<OracleEntry> template, List<SignedTransaction> transactions, int batchSize) =>
        (_template, _transactions, _batchSize) = (template, transactions, batchSize);

    public static async Task<CascadeStates> BuildAsync(int entries, int batchSize, int calldataPerDecision)
    {
        var random = new Random(17);
        string Hash()
        {
            var bytes = new byte[32];
            random.NextBytes(bytes);
            return Hex.Encode(bytes);
        }

        var template = Enumerable.Range(0, entries).Select(i => new OracleEntry
        {
            Decision = new Decision(
                DecisionKind.Liquidate, Hash(), "ETH-USD", "0x" + new string('7', 40), true, 4_000_000, 40_000_000, 1_000, 500, 10_000,
                1_200, 92_00000000, 1_780_000_000, 1, 1_780_000_050, Hash(), Hash()),
            Digest = Hash(), TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        }).ToList();
        var transactions = new List<SignedTransaction>();
        for (var nonce = 0; nonce * batchSize < entries; nonce++)
        {
            var calldata = new byte[calldataPerDecision * batchSize];
            random.NextBytes(calldata);
            transactions.Add(await new Eip1559Transaction(6343, (ulong)nonce, 1, 15, 30_000_000, Relayer.Address, BigInteger.Zero, calldata).SignAsync(Relayer));
        }

        return new CascadeStates(template, transactions, batchSize);
    }

    /// <summary>Each write of the cascade: its name, the state after it, and the entries it changed.</summary>
    public IEnumerable<(string Step, OracleState State, List<OracleEntry> Changed)> Writes()
    {
        var now = new DateTimeOffset(2026, 12, 4, 21, 0, 0, TimeSpan.Zero);
        var state = new OracleState { NextBatchNonce = 1_780_000_000_000 };
        var tracker = new TransactionTracker(() => state, TimeProvider.System);
        var entries = _template.Select(t => new OracleEntry
        {
            Decision = t.Decision, Digest = t.Digest, TraceParent = t.TraceParent, Status = SubmissionStatus.Queued, QueuedAt = now, UpdatedAt = now,
        }).ToList();
        foreach (var entry in entries)
        {
            state.Entries[entry.Digest] = entry;
            state.Queue.Add(entry.Digest);
        }

        yield return (Steps[0], state, entries);

        var sent = new List<OracleEntry>();
        var inFlight = new List<OracleTransaction>();
        foreach (var tx in _transactions)
        {
            var batch = state.Queue.Take(_batchSize).Select(d => state.Entries[d]).ToList();
            inFlight.Add(tracker.Sent(tx, state.NextBatchNonce++, batch, "0x7"));
            sent.AddRange(batch);
        }

        yield return (Steps[1], state, sent);

        var settled = new List<OracleEntry>();
        foreach (var tx in inFlight.Take(20))
        {
            var outcomes = tx.Digests.ToDictionary(d => d, _ => (SubmissionStatus.Applied, "PositionLiquidated in block 42"), StringComparer.Ordinal);
            settled.AddRange(tracker.Mined(tx, outcomes, 42, "0x" + new string('b', 64)));
        }

        yield return (Steps[2], state, settled);
    }
}
