using System.Globalization;
using System.Text;
using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Benchmarks.Load;

/// <summary>
/// Where the time from a liquidation tick to its signature went, per liquidated position: each stage's moment from the
/// tick (the harness's clock just before it sent the tick; the silo runs on the same machine and clock) and the time since
/// the stage before. The book shard's stages come from its last liquidation round (<see cref="LiquidationRoundTimes"/>),
/// the oracle's from the decision's audit stamps (<see cref="DecisionAudit"/>).
/// </summary>
internal sealed class TickStages
{
    /// <summary>The stages in the order a liquidation passes them, with what each one's moment is.</summary>
    public static readonly (string Name, string Meaning)[] Names =
    [
        ("accepted", "the market grain answered the tick (the harness's call returned)"),
        ("crossed", "the book shard took the price and found the crossed bands"),
        ("statesRead", "the shard read the positions' stored state and decided the liquidations"),
        ("intake", "the oracle took the decision into its intake"),
        ("signed", "the oracle signed it into a transaction"),
        ("committed", "the oracle's group holding it was stored (with that transaction)"),
        ("broadcast", "that transaction, stored, was handed to the broadcaster"),
    ];

    private readonly Latencies[] _fromTick = Names.Select(_ => new Latencies()).ToArray();
    private readonly Latencies[] _sincePrevious = Names.Select(_ => new Latencies()).ToArray();
    private readonly HashSet<string> _transactions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _shards = new(StringComparer.Ordinal);

    /// <summary>Transactions the liquidations went out in.</summary>
    public int Transactions => _transactions.Count;

    /// <summary>Book shards that held the liquidated positions.</summary>
    public int Shards => _shards.Count;

    /// <summary>Stage <paramref name="index"/> of <see cref="Names"/>, from the tick.</summary>
    public Latencies FromTick(int index) => _fromTick[index];

    /// <summary>Stage <paramref name="index"/> of <see cref="Names"/>, since the stage before (the first: since the tick).</summary>
    public Latencies SincePrevious(int index) => _sincePrevious[index];

    /// <summary>
    /// Adds one liquidated position's stages. The market's answer is not on the liquidation's way (the shards get the
    /// price after it), so the shard's stage is counted from the tick, not from the answer.
    /// </summary>
    public void Add(DateTimeOffset tickAt, DateTimeOffset acceptedAt, string shard, LiquidationRoundTimes round, DecisionAudit audit)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(audit);
        DateTimeOffset[] moments =
        [
            acceptedAt, round.CrossedAt, round.StatesReadAt,
            Stamp(audit.QueuedAt, "QueuedAt"), Stamp(audit.SignedAt, "SignedAt"), Stamp(audit.CommittedAt, "CommittedAt"),
            Stamp(audit.BroadcastAt, "BroadcastAt"),
        ];
        lock (_transactions)
        {
            for (var i = 0; i < moments.Length; i++)
            {
                _fromTick[i].Add(moments[i] - tickAt);
                _sincePrevious[i].Add(moments[i] - (i <= 1 ? tickAt : moments[i - 1]));
            }

            _transactions.Add(audit.TransactionHash ?? "");
            _shards.Add(shard);
        }

        DateTimeOffset Stamp(DateTimeOffset? value, string name) =>
            value ?? throw new InvalidOperationException($"decision {audit.Digest} has no {name} stamp (status {audit.Status})");
    }

    /// <summary>The stages for BENCHMARKS.json: per stage, p50 and p99 from the tick and since the stage before.</summary>
    public TickStagesRecord ToRecord() => new(Transactions, Shards, Names.Select((n, i) => (n.Name, Record: new StageRecord(
            Math.Round(_fromTick[i].P50, 2), Math.Round(_fromTick[i].P99, 2), Math.Round(_sincePrevious[i].P50, 2), Math.Round(_sincePrevious[i].P99, 2))))
        .ToDictionary(s => s.Name, s => s.Record));

    /// <summary>The stage table of the load report, one row per stage and a column pair per position count.</summary>
    public static string ToMarkdown(IReadOnlyList<TickPathResult> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var md = new StringBuilder();
        md.Append("Where the time went, per liquidation (p50 / p99 in ms): each stage's moment from the tick, and in brackets the time since the stage before. ")
            .Append("The silo's own stamps: the harness polls only to learn the digests and when they landed, so its poll interval does not enter the figures.\n\n");
        md.Append("| Stage | what it is |").Append(string.Concat(runs.Select(r => $" {r.Positions.ToString("N0", CultureInfo.InvariantCulture)} positions |"))).Append('\n');
        md.Append("|---|---|").Append(string.Concat(runs.Select(_ => "---:|"))).Append('\n');
        for (var i = 0; i < Names.Length; i++)
        {
            md.Append($"| {Names[i].Name} | {Names[i].Meaning} |");
            foreach (var r in runs)
            {
                var (from, since) = (r.Stages.FromTick(i), r.Stages.SincePrevious(i));
                md.Append($" {Latencies.Format(from.P50)} / {Latencies.Format(from.P99)} ({Latencies.Format(since.P50)} / {Latencies.Format(since.P99)}) |");
            }

            md.Append('\n');
        }

        md.Append("| | transactions / book shards |").Append(string.Concat(runs.Select(r => $" {r.Stages.Transactions} / {r.Stages.Shards} |"))).Append('\n');
        return md.ToString();
    }
}

/// <summary>The tick → signed stages in BENCHMARKS.json: how many transactions and shards, and each stage in ms.</summary>
internal sealed record TickStagesRecord(int Transactions, int Shards, Dictionary<string, StageRecord> Stages);

/// <summary>One stage of the tick → signed path in BENCHMARKS.json, in milliseconds.</summary>
internal sealed record StageRecord(double FromTickP50Ms, double FromTickP99Ms, double StageP50Ms, double StageP99Ms);
