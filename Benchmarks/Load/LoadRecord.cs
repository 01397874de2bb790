using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Aml.Orleans.Benchmarks.Load;

/// <summary>
/// The figures issue 17 asks to keep on record (<c>BENCHMARKS.json</c>), taken from one harness run at its largest
/// position count, each with the baseline of the same run it is compared with, and the capacity model derived from them.
/// The cascade's times are those of its last signed (landed) decision; its counts say how many of all got there, and a
/// time is null when none did.
/// </summary>
internal sealed record LoadRecord(
    int Positions,
    double RssPerPositionKiB,
    double IdleCpuCores,
    double SeedSeconds,
    double TickToSignedP50Ms,
    double TickToSignedP99Ms,
    TickStagesRecord TickToSignedStages,
    int CascadePositions,
    double? CascadeSignedSeconds,
    double? CascadeLandedSeconds,
    int CascadeSigned,
    int CascadeLanded,
    int CascadeRefused,
    int? CascadeMaxBatch,
    double QuoteP50Ms,
    double QuoteP99Ms,
    double QuotesPerSecond,
    int QuoteClients,
    double QuorumsPerSecond,
    double BatchedOverSingleScoring,
    LoadBaselines Baselines,
    CapacityModel Capacity)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public static LoadRecord From(
        IReadOnlyList<TickPathResult> tickPath, GatewayResult gateway, OraclePathResult oracle, CascadeResult? cascade, ScoringResult scoring)
    {
        var largest = tickPath.MaxBy(r => r.Positions)!;
        return new LoadRecord(
            largest.Positions, Round(largest.ResidentBytesPerPosition / 1024), Round(largest.IdleCpuCores, 3), Round(largest.SeedSeconds),
            Round(largest.TickToSigned.P50), Round(largest.TickToSigned.P99), largest.Stages.ToRecord(),
            cascade?.Positions ?? 0, Round(cascade?.SignedSeconds), Round(cascade?.LandedSeconds),
            cascade?.Signed ?? 0, cascade?.Landed ?? 0, cascade?.Refused ?? 0,
            cascade is { BatchSizes.Count: > 0 } ? cascade.BatchSizes.Max() : null,
            Round(gateway.Quote.P50), Round(gateway.Quote.P99), Round(gateway.QuotesPerSecond), gateway.Clients,
            Round(oracle.QuorumDecisionsPerSecond), Round(scoring.BatchedOverSingle),
            new LoadBaselines(
                Round(largest.EngineTick.P50, 3), Round(largest.BaseIdleCpuCores, 3), Round(gateway.MarketRead.P50), Round(oracle.SingleSignaturesPerSecond), Round(scoring.SinglePerSecond)),
            CapacityModel.From(largest));
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    private static double Round(double value, int digits = 2) => Math.Round(value, digits);

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 2) : null;
}

/// <summary>
/// The baselines of the same run: the engine's quiet tick, the silo's idle CPU before the positions, a market read, one
/// ECDSA signature, one assessment.
/// </summary>
internal sealed record LoadBaselines(double EngineTickP50Ms, double IdleCpuCoresBeforeSeeding, double GetMarketP50Ms, double SingleSignaturesPerSecond, double SingleAssessmentsPerSecond);

/// <summary>
/// Positions per silo from the measured per-position costs on a silo of this machine's shape, and silos for 10M and
/// 100M positions. Memory: the silo may use <see cref="MemoryShare"/> of the machine's RAM, less what it held before the
/// positions came. CPU: idle use may reach <see cref="IdleCpuShare"/> of the cores, less the silo's idle use before the
/// positions came, at what each position added to it; the rest stays for ticks,
/// sweeps, quotes and the oracle. The smaller bound is the capacity; a fleet adds one silo so that a lost silo's
/// shards have somewhere to go.
/// </summary>
internal sealed record CapacityModel(
    long MachineMemoryBytes,
    int Cores,
    long SiloBaseBytes,
    long MemoryBoundPositions,
    long? CpuBoundPositions,
    long PositionsPerSilo,
    long SilosFor10M,
    long SilosFor100M)
{
    public const double MemoryShare = 0.75;
    public const double IdleCpuShare = 0.25;

    public static CapacityModel From(TickPathResult measured)
    {
        var memory = ReadMachineMemory();
        var cores = Environment.ProcessorCount;
        var memoryBound = (long)Math.Max(0, (memory * MemoryShare - measured.SiloBaseResidentBytes) / Math.Max(1, measured.ResidentBytesPerPosition));
        // Only what the positions add counts against them: the silo's idle use before they came is its own.
        var perPosition = (measured.IdleCpuCores - measured.BaseIdleCpuCores) / measured.Positions;
        long? cpuBound = perPosition > 0 ? (long)Math.Max(0, (cores * IdleCpuShare - measured.BaseIdleCpuCores) / perPosition) : null;
        var perSilo = Math.Max(1, Math.Min(memoryBound, cpuBound ?? long.MaxValue));
        return new CapacityModel(memory, cores, measured.SiloBaseResidentBytes, memoryBound, cpuBound, perSilo,
            Silos(10_000_000, perSilo), Silos(100_000_000, perSilo));
    }

    private static long Silos(long positions, long perSilo) => ((positions + perSilo - 1) / perSilo) + 1;

    /// <summary>The model in words and a table, for the load report.</summary>
    public string ToMarkdown(TickPathResult measured)
    {
        string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
        var md = new StringBuilder();
        md.Append("## Capacity model\n\n");
        md.Append($"From the {N(measured.Positions)}-position run on this machine ({Cores} cores, {N(MachineMemoryBytes / 1_073_741_824.0)} GiB): ")
            .Append($"{(measured.ResidentBytesPerPosition / 1024).ToString("F2", CultureInfo.InvariantCulture)} KiB of silo RSS per position over a base of ")
            .Append($"{N(SiloBaseBytes / 1_048_576.0)} MiB, and {measured.IdleCpuCores.ToString("F3", CultureInfo.InvariantCulture)} idle cores against ")
            .Append($"{measured.BaseIdleCpuCores.ToString("F3", CultureInfo.InvariantCulture)} before the positions were seeded. ")
            .Append($"A silo may use {MemoryShare:P0} of the RAM and {IdleCpuShare:P0} of the cores for holding positions (the rest is for ticks, ")
            .Append("sweeps, quotes and the oracle); the smaller bound is its capacity, and a fleet has one silo more than it needs so that a ")
            .Append("lost silo's shards can move. The idle figures are 20 s windows, so a difference of a few hundredths of a core is ")
            .Append("within their noise; when the positions add none, CPU gives no bound.\n\n");
        md.Append("| Bound | Positions per silo |\n|---|---:|\n");
        md.Append($"| Memory: ({MemoryShare:P0} × RAM − base) / RSS per position | {N(MemoryBoundPositions)} |\n");
        md.Append($"| CPU: ({IdleCpuShare:P0} × cores − idle before) / idle cores each position adds | {(CpuBoundPositions is { } c ? N(c) : "none (the positions added no idle CPU)")} |\n");
        md.Append($"| **Capacity** | **{N(PositionsPerSilo)}** |\n\n");
        md.Append($"Silos for 10M positions: **{N(SilosFor10M)}**; for 100M: **{N(SilosFor100M)}** (each including the spare).\n");
        return md.ToString();
    }

    private static long ReadMachineMemory()
    {
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
