using System.Diagnostics;
using Aml.Orleans.Client;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;

namespace Aml.Orleans.Benchmarks.Load;

/// <summary>What the tick path measured at one number of open positions.</summary>
internal sealed record TickPathResult(
    int Positions,
    string Asset,
    long SiloBaseResidentBytes,
    double ResidentBytesPerPosition,
    double BaseIdleCpuCores,
    double IdleCpuCores,
    double SeedSeconds,
    Latencies EngineTick,
    Latencies GrainCall,
    Latencies NaiveFanOut,
    Latencies ArrayScan,
    int LiquidationsWoken,
    Latencies TickToSigned,
    Latencies TickToLanded,
    TickStages Stages);

/// <summary>
/// The tick path on the running silo. N positions are opened on one market (their grains get the chain's
/// PositionOpened event, as from the indexer; only the few that are liquidated are also opened on-chain, since the
/// contract must agree before the oracle signs); then quiet ticks are timed against two baselines in the same run,
/// the naive fan-out (the client calls every position grain once per tick) and a plain scan of an array of the same
/// positions' liquidation prices (the physical floor); finally one tick crosses the liquidation band of
/// <see cref="LiquidatedPositions"/> real positions and the time until the oracle signed (and landed) each
/// liquidation is read from the oracle's audit.
/// </summary>
internal sealed class TickPathLoad(LoadStack stack)
{
    /// <summary>Positions that are also opened on-chain and liquidated by the measured tick.</summary>
    public const int LiquidatedPositions = 20;

    private const long EntryE8 = 100_00000000;
    private const long Collateral = 100_000_000; // 100 USDC
    private const int QuietTicks = 200;
    private readonly TickClock _ticks = new();

    public async Task<TickPathResult> RunAsync(int positions, string asset)
    {
        var market = stack.Grains.GetGrain<IMarketGrain>(asset);
        var bookShards = (await MoveMarketAsync(market, EntryE8, _ticks)).BookShards;
        var minMargin = stack.Chain.Deployment.Markets[asset].Config.MinMaintenanceMarginBps;

        // 10x at a 3 % margin (above every market's floor): liquidated below 93 % of entry, warned below 94.5 %.
        await stack.WaitForChainClockAsync();
        Progress.Say($"tick path {positions:N0} on {asset}: opening {LiquidatedPositions} positions on-chain through the oracle");
        var real = await RealPositions.OpenAsync(stack, asset, LiquidatedPositions, Collateral, 1_000, Math.Max(300u, minMargin), EntryE8);

        var baseIdleCores = await IdleCpuAsync(); // the baseline: the silo before these positions came
        Progress.Say($"tick path {positions:N0} on {asset}: seeding {positions:N0} positions in bulk into {bookShards} book shards");
        var (liquidationPrices, seedSeconds, baseBytes, bytesPerPosition) = await SeedAsync(asset, positions, minMargin, bookShards);
        var idleCores = await IdleCpuAsync();
        var (engine, call) = await TimeQuietTicksAsync(market);
        var naive = await TimeNaiveFanOutAsync(real, asset, positions);
        var scan = TimeArrayScan(liquidationPrices);
        var (woken, signed, landed, stages) = await TimeLiquidationAsync(asset, market, real, bookShards);
        return new TickPathResult(positions, asset, baseBytes, bytesPerPosition, baseIdleCores, idleCores, seedSeconds, engine, call, naive, scan, woken, signed, landed, stages);
    }

    private static string SyntheticId(string asset, int index) => Hex.Encode(Keccak.Hash($"bench-load:{asset}:{index}"));

    /// <summary>Positions per bulk delivery: one COPY of grain state and a few shard calls each.</summary>
    private const int SeedChunk = 100_000;

    /// <summary>
    /// Delivers the N positions in bulk as the indexer's first sync would (<see cref="PositionSeeder"/>: grain state
    /// rows by COPY, book rows through their shards; no position grain activated), with leverage 2–5x at the market's
    /// floor margin (liquidation at 80–90 % of entry, never reached here), <see cref="SeedChunk"/> at a time; returns
    /// their liquidation prices, the time it took, the silo's resident memory before and its growth per position, measured with
    /// every seeded position a row and a stored state, not a grain.
    /// </summary>
    private async Task<(long[] LiquidationPrices, double Seconds, long BaseBytes, double BytesPerPosition)> SeedAsync(
        string asset, int positions, uint marginBps, int bookShards)
    {
        var random = new Random(7);
        var leverage = Enumerable.Range(0, positions).Select(_ => (uint)random.Next(200, 501)).ToArray();
        var traders = LoadStack.TraderAccounts.Select(a => stack.Account(a).Address.ToString()).ToArray();
        var modelHash = (await stack.Grains.GetGrain<IRiskGrain>(asset).GetModelAsync()).ModelHash;
        var market = new SeedMarket(asset, bookShards, stack.Chain.Deployment.Catalog()[asset].BorrowRateBpsPerDay, EntryE8);
        var seeder = stack.Seeder();
        var openedAt = DateTimeOffset.UtcNow;
        var before = stack.SiloResidentBytes();
        var clock = Stopwatch.StartNew();
        for (var from = 0; from < positions; from += SeedChunk)
        {
            var chunk = Enumerable.Range(from, Math.Min(SeedChunk, positions - from)).Select(i =>
            {
                var id = SyntheticId(asset, i);
                var chain = new ChainPosition(traders[i % traders.Length], asset, true, Collateral, Collateral * leverage[i] / 100, EntryE8,
                    leverage[i], marginBps, 1_000, 1, ChainPositionStatus.Open, false);
                return new SeededPosition(id, chain, openedAt, modelHash, Hex.Encode(Keccak.Hash(id)));
            }).ToList();
            var stored = await seeder.SeedAsync(market, chunk, CancellationToken.None);
            if (stored.Count != chunk.Count)
            {
                throw new InvalidOperationException($"{chunk.Count - stored.Count} of {chunk.Count} seeded positions were stored already: the stack is not fresh");
            }

            Progress.Say($"  seeded {from + chunk.Count:N0} of {positions:N0} positions ({(from + chunk.Count) / clock.Elapsed.TotalSeconds:N0}/s)");
        }

        var seconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(5)); // let the silo's GC and the shards' flushes settle
        var bytesPerPosition = (stack.SiloResidentBytes() - before) / (double)positions;
        var prices = Enumerable.Range(0, positions)
            .Select(i => MarginMath.LiquidationPrice(new PositionTerms(true, Collateral, Collateral * leverage[i] / 100, EntryE8, marginBps)))
            .ToArray();
        return (prices, seconds, before, bytesPerPosition);
    }

    /// <summary>
    /// The silo's CPU use while nothing happens, over <see cref="IdleWindow"/> (longer than the positions' monitor
    /// interval): what holding the positions costs by itself, in cores.
    /// </summary>
    private async Task<double> IdleCpuAsync()
    {
        Progress.Say($"  measuring the silo's CPU over {IdleWindow.TotalSeconds:F0} s without ticks");
        var before = stack.SiloCpuTime();
        var clock = Stopwatch.StartNew();
        await Task.Delay(IdleWindow);
        return (stack.SiloCpuTime() - before) / clock.Elapsed;
    }

    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Ticks between the entry price and 0.1 % above it (no band is crossed, the common case), each followed by a
    /// plain read of the same grain: the round trip every tick pays before the engine does any work.
    /// </summary>
    private async Task<(Latencies Ticks, Latencies Calls)> TimeQuietTicksAsync(IMarketGrain market)
    {
        Progress.Say($"  {QuietTicks} quiet ticks through the market grain, each with a plain read of it");
        var ticks = new Latencies();
        var calls = new Latencies();
        for (var i = 0; i < QuietTicks; i++)
        {
            var price = i % 2 == 0 ? EntryE8 * 1001 / 1000 : EntryE8;
            var clock = Stopwatch.StartNew();
            var outcome = await market.SubmitTickAsync(new MarketTick(price, _ticks.Next()));
            ticks.Add(clock.Elapsed);
            if (!outcome.Accepted)
            {
                throw new InvalidOperationException($"quiet tick {price} refused: {outcome.Rejection}");
            }

            clock.Restart();
            _ = await market.GetSnapshotAsync();
            calls.Add(clock.Elapsed);
        }

        return (ticks, calls);
    }

    /// <summary>Most positions the naive fan-out calls: beyond this each tick would activate (and keep) that many grains.</summary>
    internal const int NaiveFanOutLimit = 100_000;

    /// <summary>
    /// The naive design's tick: every position grain is called once (its snapshot computes its margin at the mark),
    /// 1,000 calls in flight, over at most <see cref="NaiveFanOutLimit"/> positions (it runs after memory and idle CPU
    /// are measured, since it activates the grains it calls). A few ticks are enough: each one costs N grain calls.
    /// </summary>
    private async Task<Latencies> TimeNaiveFanOutAsync(IReadOnlyList<string> real, string asset, int positions)
    {
        var called = Math.Min(positions, NaiveFanOutLimit);
        var ids = real.Concat(Enumerable.Range(0, called).Select(i => SyntheticId(asset, i))).ToArray();
        var latencies = new Latencies();
        var rounds = called >= NaiveFanOutLimit ? 2 : 5;
        for (var round = 0; round < rounds; round++)
        {
            Progress.Say($"  naive fan-out tick {round + 1} of {rounds}: calling {ids.Length:N0} position grains");
            var clock = Stopwatch.StartNew();
            await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 1_000 }, async (id, _) =>
                await stack.Grains.GetGrain<IPositionGrain>(id).GetSnapshotAsync());
            latencies.Add(clock.Elapsed);
        }

        return latencies;
    }

    /// <summary>The floor: one pass over the liquidation prices per tick, in this process.</summary>
    private static Latencies TimeArrayScan(long[] liquidationPrices)
    {
        var latencies = new Latencies();
        var crossed = 0;
        for (var i = 0; i < QuietTicks; i++)
        {
            var price = i % 2 == 0 ? EntryE8 * 1001 / 1000 : EntryE8;
            var clock = Stopwatch.StartNew();
            foreach (var liquidation in liquidationPrices)
            {
                crossed += price <= liquidation ? 1 : 0;
            }

            latencies.Add(clock.Elapsed);
        }

        return crossed == 0 ? latencies : throw new InvalidOperationException($"{crossed} synthetic positions were crossed by quiet ticks");
    }

    /// <summary>
    /// One tick to 92 % of entry crosses the real positions' liquidation bands; their book shard decides each LIQUIDATE
    /// and hands them to the oracle together, which signs them with its quorum and sends. The oracle stamps the audit
    /// when it has signed (<see cref="DecisionAudit.SignedAt"/>) and again when the receipt settles it (Applied), so the
    /// latencies are the silo's own clock readings against the tick's; the harness only polls to learn the digests. Each
    /// liquidation's stages (<see cref="TickStages"/>) come from the same audit and its book shard's last round.
    /// </summary>
    private async Task<(int Woken, Latencies Signed, Latencies Landed, TickStages Stages)> TimeLiquidationAsync(
        string asset, IMarketGrain market, IReadOnlyList<string> real, int bookShards)
    {
        await stack.WaitForChainClockAsync(); // the contract refuses a price older than the positions' opening block
        Progress.Say($"  liquidation tick: {real.Count} positions cross their band");
        var oracle = stack.Grains.GetGrain<IOracleGrain>(stack.Chain.OracleKey);
        // The independent feed shows the drop first, as a real one would: the LIQUIDATEs are checked against it.
        await stack.SetFeedPriceAsync(asset, EntryE8 * 92 / 100);
        var tickAt = DateTimeOffset.UtcNow;
        var outcome = await market.SubmitTickAsync(new MarketTick(EntryE8 * 92 / 100, _ticks.Next()));
        var acceptedAt = DateTimeOffset.UtcNow;
        if (!outcome.Accepted)
        {
            throw new InvalidOperationException($"the liquidation tick was refused: {outcome.Rejection}");
        }

        var signed = new Latencies();
        var landed = new Latencies();
        var applied = new DecisionAudit[real.Count];
        await Task.WhenAll(real.Select(async (id, index) =>
        {
            var snapshot = await RealPositions.WaitForAsync(
                stack, id, s => s.PendingDigest is not null || s.Status == PositionStatus.Liquidated, "liquidating", TimeSpan.FromSeconds(60), 2);
            var digest = snapshot.PendingDigest ?? snapshot.LastDecisionDigest!;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            var sawSent = false;
            while (DateTime.UtcNow < deadline)
            {
                var audit = await oracle.GetAuditAsync(digest);
                switch (audit?.Status)
                {
                    case SubmissionStatus.Sent when !sawSent:
                        signed.Add((audit.SignedAt ?? audit.UpdatedAt) - tickAt);
                        sawSent = true;
                        break;
                    case SubmissionStatus.Applied:
                        if (!sawSent)
                        {
                            // Settled between two polls: the oracle's signing stamp (without it, the receipt's bounds it from above).
                            signed.Add((audit.SignedAt ?? audit.UpdatedAt) - tickAt);
                        }

                        landed.Add(audit.UpdatedAt - tickAt);
                        applied[index] = audit;
                        return;
                    case SubmissionStatus.Failed or SubmissionStatus.Skipped:
                        var head = await stack.Chain.Rpc.GetBlockAsync("latest");
                        throw new InvalidOperationException(
                            $"liquidation {digest} of {id} was {audit.Status}: {audit.Outcome} (tick at {tickAt:HH:mm:ss.fff}, audit updated " +
                            $"{audit.UpdatedAt:HH:mm:ss.fff}, now {DateTimeOffset.UtcNow:HH:mm:ss.fff}, chain head {head.Timestamp})");
                }

                await Task.Delay(2);
            }

            throw new TimeoutException($"liquidation {digest} of {id} did not land within 60 s");
        }));
        var stages = await StagesAsync(asset, real, applied, bookShards, tickAt, acceptedAt, EntryE8 * 92 / 100);
        return (real.Count, signed, landed, stages); // each one reached its liquidation, or the wait above threw
    }

    /// <summary>Each liquidation's stages, from its applied audit and its book shard's round at <paramref name="priceE8"/>.</summary>
    private async Task<TickStages> StagesAsync(
        string asset, IReadOnlyList<string> real, DecisionAudit[] applied, int bookShards, DateTimeOffset tickAt, DateTimeOffset acceptedAt, long priceE8)
    {
        var stages = new TickStages();
        for (var i = 0; i < real.Count; i++)
        {
            var shard = BookShardKey.For(asset, PositionKey.Parse(real[i]), bookShards).ToString();
            var round = (await stack.Grains.GetGrain<IMarketBookGrain>(shard).GetSnapshotAsync()).LastLiquidationRound;
            if (round is null || round.PriceE8 != priceE8)
            {
                throw new InvalidOperationException($"book shard {shard} holds no liquidation round at {priceE8} for {real[i]} (last: {round})");
            }

            stages.Add(tickAt, acceptedAt, shard, round, applied[i]);
        }

        return stages;
    }

    /// <summary>Moves the market to <paramref name="priceE8"/>; a jump beyond the outlier limit needs a second print.</summary>
    internal static async Task<TickOutcome> MoveMarketAsync(IMarketGrain market, long priceE8, TickClock ticks)
    {
        var outcome = await market.SubmitTickAsync(new MarketTick(priceE8, ticks.Next()));
        if (outcome.Rejection == TickRejection.UnconfirmedJump)
        {
            outcome = await market.SubmitTickAsync(new MarketTick(priceE8, ticks.Next()));
        }

        if (!outcome.Accepted)
        {
            throw new InvalidOperationException($"the market refused {priceE8}: {outcome.Rejection}");
        }

        return outcome;
    }
}
