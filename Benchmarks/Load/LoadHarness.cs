using System.Globalization;
using System.Text;

namespace Aml.Orleans.Benchmarks.Load;

/// <summary>
/// <c>Aml.Orleans.Benchmarks load …</c>: the tick path at each position count, the gateway, then the oracle path, on the
/// stack <c>./aml bench</c> started; writes the markdown section BENCHMARKS.md includes.
/// </summary>
internal static class LoadHarness
{
    /// <summary>One market per position count, so that each count is measured alone; BTC-USD serves the gateway.</summary>
    private static readonly string[] TickPathAssets = ["SOL-USD", "ETH-USD", "DOGE-USD"];

    private const string GatewayAsset = "BTC-USD";
    private const string GatewayCandles = "BTCUSDT-1h.csv";

    /// <summary>The oracle path's positions share DOGE-USD with the last tick path count at most: different positions, 2x.</summary>
    private const string OracleAsset = "DOGE-USD";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        LoadSettings settings;
        try
        {
            settings = LoadSettings.Parse(args);
            if (settings.PositionCounts.Count > TickPathAssets.Length)
            {
                throw new ArgumentException($"--positions takes at most {TickPathAssets.Length} counts, one market each");
            }

            if (settings.CascadePositions > 0 && settings.PositionCounts.Count == TickPathAssets.Length)
            {
                throw new ArgumentException($"the cascade needs a market the tick path leaves alone: give at most {TickPathAssets.Length - 1} counts, or --cascade 0");
            }
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }

        await using var stack = await LoadStack.ConnectAsync(settings);
        var tickPath = new List<TickPathResult>();
        for (var i = 0; i < settings.PositionCounts.Count; i++)
        {
            tickPath.Add(await new TickPathLoad(stack).RunAsync(settings.PositionCounts[i], TickPathAssets[i]));
        }

        var gateway = await new GatewayLoad(stack).RunAsync(GatewayAsset, Path.Combine(settings.DataDirectory, GatewayCandles));
        var oracle = await new OraclePathLoad(stack).RunAsync(OracleAsset);
        // Last: the oracle's batches are blocks, each a second ahead on anvil's clock. The first market the tick path left
        // alone; the oracle path's positions there are at 2x, far from the cascade's bands.
        var cascade = settings.CascadePositions > 0
            ? await new CascadeLoad(stack).RunAsync(settings.CascadePositions, TickPathAssets[settings.PositionCounts.Count])
            : null;
        var scoring = ScoringLoad.Run();
        var record = LoadRecord.From(tickPath, gateway, oracle, cascade, scoring);
        await File.WriteAllTextAsync(settings.ReportFile, Report(tickPath, gateway, oracle, cascade, scoring, record));
        Progress.Say($"wrote {settings.ReportFile}");
        if (settings.RecordFile is { } recordFile)
        {
            await File.WriteAllTextAsync(recordFile, record.ToJson());
            Progress.Say($"wrote {recordFile}");
        }

        return 0;
    }

    private static string Report(
        IReadOnlyList<TickPathResult> tickPath, GatewayResult gateway, OraclePathResult oracle, CascadeResult? cascade, ScoringResult scoring, LoadRecord record)
    {
        var md = new StringBuilder();
        void Line(string text = "") => md.Append(text).Append('\n');
        string Ms(double ms) => Latencies.Format(ms) + " ms";
        string N(double value, string format = "N0") => value.ToString(format, CultureInfo.InvariantCulture);

        Line("## Load: tick path on a running silo");
        Line();
        Line("One silo on PostgreSQL with anvil and the contracts. Per count, N positions are seeded in bulk on one market (stored grain state and book rows, as the indexer delivers them; no position grain active); "
             + $"{TickPathLoad.LiquidatedPositions} of them are also open on-chain. A quiet tick (no liquidation band crossed) is timed "
             + "through the market grain from an Orleans client; the baselines, measured in the same run, are a plain scan of an array "
             + "of the same liquidation prices in one process (the physical floor, ratio 1.00), a plain read of the market grain (the "
             + "round trip every tick pays) and the naive fan-out (every position grain called once per tick, 1,000 calls in flight, over at most "
             + $"{N(TickPathLoad.NaiveFanOutLimit)} positions: beyond that it would activate them all). "
             + "Memory is the silo's resident-set growth while the positions were seeded; idle CPU is the silo's use over 20 s without ticks, both before the fan-out activates any grain, beside the same 20 s measured just before the positions were seeded (the baseline).");
        Line();
        Line("| Positions | Market | Silo memory / position | Idle silo CPU (before seeding) | Array scan p50 | Engine tick p50 | p99 | Plain grain read p50 | Engine vs read | Naive fan-out tick p50 | Fan-out vs engine | Samples (scan / tick / fan-out) |");
        Line("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in tickPath)
        {
            var floor = r.ArrayScan.P50;
            Line($"| {N(r.Positions)} | {r.Asset} | {N(r.ResidentBytesPerPosition / 1024, "F1")} KiB | {N(r.IdleCpuCores, "F3")} cores ({N(r.BaseIdleCpuCores, "F3")}) | {Ms(floor)} (1.00×) "
                 + $"| {Ms(r.EngineTick.P50)} ({Latencies.Ratio(r.EngineTick.P50, floor)}) | {Ms(r.EngineTick.P99)} | {Ms(r.GrainCall.P50)} ({Latencies.Ratio(r.GrainCall.P50, floor)}) "
                 + $"| {Latencies.Ratio(r.EngineTick.P50, r.GrainCall.P50)} | {Ms(r.NaiveFanOut.P50)} ({Latencies.Ratio(r.NaiveFanOut.P50, floor)}) "
                 + $"| {Latencies.Ratio(r.NaiveFanOut.P50, r.EngineTick.P50)} | {r.ArrayScan.Count} / {r.EngineTick.Count} / {r.NaiveFanOut.Count} |");
        }

        Line();
        Line($"Tick → liquidation: one tick crosses the bands of the {TickPathLoad.LiquidatedPositions} on-chain positions; their book shard decides "
             + "the liquidations from the positions' stored state and hands them to the oracle in one call, which signs the batch with its 3-of-5 "
             + "quorum and relays it. *Signed* and *landed* are the oracle audit's own stamps (signed into a transaction; receipt settled) "
             + "against the tick; the engine's tick is the baseline.");
        Line();
        Line("| Positions | Woken by the tick | Tick → signed p50 | p99 | Tick → landed p50 | p99 | Samples |");
        Line("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in tickPath)
        {
            Line($"| {N(r.Positions)} | {r.LiquidationsWoken} | {Ms(r.TickToSigned.P50)} ({Latencies.Ratio(r.TickToSigned.P50, r.EngineTick.P50)}) | {Ms(r.TickToSigned.P99)} "
                 + $"| {Ms(r.TickToLanded.P50)} ({Latencies.Ratio(r.TickToLanded.P50, r.EngineTick.P50)}) | {Ms(r.TickToLanded.P99)} | {r.TickToSigned.Count} |");
        }

        Line();
        md.Append(TickStages.ToMarkdown(tickPath));

        Line();
        Line($"## Load: end to end through the gateway ({gateway.Clients} concurrent clients)");
        Line();
        Line("gRPC over HTTP/2, one connection per client, each signed in with a trader's wallet. The baseline is the cheapest "
             + "authenticated call in the same run (reading a market). Each client's first quote (cold) is its own row; the "
             + "steady-state rows start after one call of each kind per client. *Open → on-chain* runs from the open request until the "
             + "position reads Open: the oracle relayed it, anvil mined it and the indexer brought the event back.");
        Line();
        Line("| Call | p50 | p99 | p50 vs baseline | Samples |");
        Line("|---|---:|---:|---:|---:|");
        var baseline = gateway.MarketRead.P50;
        void Row(string name, Latencies l) =>
            Line($"| {name} | {Ms(l.P50)} | {Ms(l.P99)} | {Latencies.Ratio(l.P50, baseline)} | {l.Count} |");
        Row("GetMarket (baseline)", gateway.MarketRead);
        Row("Quote, first per client (cold)", gateway.FirstQuote);
        Row("Quote", gateway.Quote);
        Row("Open (acknowledged)", gateway.OpenAck);
        Row("Open → on-chain", gateway.OpenToOnChain);
        Line();
        Line($"Quotes: {N(gateway.QuotesPerSecond)}/s over {gateway.Clients} clients. Silo CPU (user + system) per call: "
             + $"{N(gateway.SiloCpuPerQuote.TotalMicroseconds)} µs per quote against {N(gateway.SiloCpuPerMarketRead.TotalMicroseconds)} µs per market read "
             + $"({Latencies.Ratio(gateway.SiloCpuPerQuote.TotalMicroseconds, gateway.SiloCpuPerMarketRead.TotalMicroseconds)}); the process's times tick in 10 ms, so they are good to that over the phase.");

        Line();
        Line("## Load: oracle path");
        Line();
        Line($"Signing {oracle.Signed} decision digests: one ECDSA signature is the floor; a quorum is every one of the "
             + $"{oracle.Signers} keys signing, {oracle.Threshold} recovered and packed.");
        Line();
        Line("| Signing | Decisions / s | Time vs one signature |");
        Line("|---|---:|---:|");
        Line($"| One signature (baseline) | {N(oracle.SingleSignaturesPerSecond)} | 1.00× |");
        Line($"| {oracle.Threshold}-of-{oracle.Signers} quorum | {N(oracle.QuorumDecisionsPerSecond)} | {Latencies.Ratio(oracle.SingleSignaturesPerSecond, oracle.QuorumDecisionsPerSecond)} |");
        Line();
        Line("Landing ADJUST decisions on anvil (automine), one transaction at a time as the relayer sends them; gas from the receipts. "
             + "The baseline is one decision per `applyDecision`.");
        Line();
        Line("| Decisions per transaction | Decisions | Transactions | Landed / s | vs single | Gas / decision | vs single |");
        Line("|---:|---:|---:|---:|---:|---:|---:|");
        var single = oracle.Landed[0];
        foreach (var run in oracle.Landed)
        {
            Line($"| {run.BatchSize} | {run.Decisions} | {run.Transactions} | {N(run.DecisionsPerSecond, "N1")} | {Latencies.Ratio(run.DecisionsPerSecond, single.DecisionsPerSecond)} "
                 + $"| {N(run.GasPerDecision)} | {Latencies.Ratio(run.GasPerDecision, single.GasPerDecision)} |");
        }

        if (cascade is not null)
        {
            Line();
            Line($"## Load: a cascade of {N(cascade.Positions)} liquidations");
            Line();
            Line($"{N(cascade.Positions)} positions (10x longs) opened on-chain in one block on {cascade.Asset} and delivered to the silo in bulk; "
                 + "one tick to 92 % of entry crosses all their liquidation bands. *Signed*: the oracle's stamp on the last LIQUIDATE it signed "
                 + "into a transaction (the audit table's `signed_at`); *landed*: the last receipt's stamp; a decision "
                 + "the oracle refused (e.g. expired while it waited in the oracle's queue) never gets there, and the harness stops waiting 180 s after the tick. Both from the tick; "
                 + "the baseline is the tick itself (the engine's own work, as the silo answered it). Targets: all signed ≤ 2 s, landed ≤ 15 s, batches ≤ 50.");
            Line();
            Line("| Liquidations | Tick (baseline) | Signed | Landed | Signed / landed / refused | Transactions | Batch size max / mean |");
            Line("|---:|---:|---:|---:|---:|---:|---:|");
            string Seconds(double? s, int reached) => s is { } v
                ? $"{N(v, "F2")} s{(reached < cascade.Positions ? $" (the last of {N(reached)})" : "")} ({Latencies.Ratio(v * 1000, cascade.EngineTickMs)})"
                : "none";
            var batches = cascade.BatchSizes;
            Line($"| {N(cascade.Positions)} | {Ms(cascade.EngineTickMs)} (1.00×) | {Seconds(cascade.SignedSeconds, cascade.Signed)} | {Seconds(cascade.LandedSeconds, cascade.Landed)} "
                 + $"| {N(cascade.Signed)} / {N(cascade.Landed)} / {N(cascade.Refused)} | {N(batches.Count)} "
                 + $"| {(batches.Count > 0 ? $"{batches.Max()} / {N(batches.Average(), "F1")}" : "–")} |");
        }

        Line();
        Line("## Load: risk scoring, batched against single");
        Line();
        Line($"{N(scoring.Inputs)} assessments on the BTC benchmark model set in the harness's process, best of 7 rounds each; one at a time is the baseline.");
        Line();
        Line("| Path | Assessments / s | vs single |");
        Line("|---|---:|---:|");
        Line($"| One at a time (baseline) | {N(scoring.SinglePerSecond)} | 1.00× |");
        Line($"| One batch | {N(scoring.BatchedPerSecond)} | {N(scoring.BatchedOverSingle, "F2")}× |");

        Line();
        md.Append(record.Capacity.ToMarkdown(tickPath.MaxBy(r => r.Positions)!));
        return md.ToString();
    }
}
