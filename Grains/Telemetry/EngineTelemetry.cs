using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Telemetry;

/// <summary>
/// The engine's trace source and meter. With Orleans' activity propagation, a tick, the position it wakes, the risk
/// assessment, the oracle's signing and the transaction that carries the decision read as one trace: the send span
/// links to the submit spans of every decision in its batch, whose traces began at the tick.
/// </summary>
public static partial class EngineTelemetry
{
    /// <summary>Name of the ActivitySource and the Meter.</summary>
    public const string Name = "Aml.Orleans";

    /// <summary>Spans of the engine's own steps.</summary>
    public static readonly ActivitySource Source = new(Name);

    /// <summary>The engine's metrics.</summary>
    public static readonly Meter Meter = new(Name);

    /// <summary>From a decision's submission to its settlement on-chain.</summary>
    public static readonly Histogram<double> DecisionLatency = Meter.CreateHistogram<double>(
        "aml.decision.latency", "ms", "time from a decision's submission to the oracle until its receipt settled it");

    /// <summary>Submissions made durable together by one oracle state write (the group commit's size).</summary>
    public static readonly Histogram<long> OracleCommitGroupSize = Meter.CreateHistogram<long>(
        "aml.oracle.commit_group", description: "submissions made durable by one oracle state write (group commit)");

    /// <summary>Rows one oracle journal write stored (entries, transactions, closes, audit rows and its head row).</summary>
    public static readonly Histogram<long> OracleJournalRows = Meter.CreateHistogram<long>(
        "aml.oracle.journal_rows", description: "rows one oracle journal write stored, audit rows included (one round trip)");

    /// <summary>Decisions settled, by kind and outcome.</summary>
    public static readonly Counter<long> DecisionsSettled = Meter.CreateCounter<long>("aml.decisions", description: "decisions settled, by kind and status");

    /// <summary>Active positions on this silo, by state.</summary>
    public static readonly UpDownCounter<long> Positions = Meter.CreateUpDownCounter<long>("aml.positions", description: "active positions by state");

    /// <summary>Ticks, by outcome.</summary>
    public static readonly Counter<long> Ticks = Meter.CreateCounter<long>("aml.ticks", description: "market ticks by asset and outcome");

    private static readonly ConcurrentDictionary<string, string> ServedModels = new(StringComparer.Ordinal);

    /// <summary>1 per asset, tagged with the model hash it serves on this silo.</summary>
    public static readonly ObservableGauge<int> Models = Meter.CreateObservableGauge(
        "aml.model", () => ServedModels.Select(m => new Measurement<int>(1, new("asset", m.Key), new("model_hash", m.Value))),
        description: "the model set each asset's risk grain serves");

    /// <summary>Records which model set <paramref name="asset"/> serves.</summary>
    public static void ServingModel(string asset, string modelHash) => ServedModels[asset] = modelHash;

    /// <summary>Moves one position between state counts (null for "not counted").</summary>
    public static void PositionMoved(PositionStatus? from, PositionStatus? to)
    {
        if (from == to)
        {
            return;
        }

        if (from is { } old)
        {
            Positions.Add(-1, new KeyValuePair<string, object?>("state", old.ToString()));
        }

        if (to is { } current)
        {
            Positions.Add(1, new KeyValuePair<string, object?>("state", current.ToString()));
        }
    }
}
