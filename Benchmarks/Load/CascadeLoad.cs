using System.Diagnostics;
using Aml.Orleans.Client;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Interfaces;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;

namespace Aml.Orleans.Benchmarks.Load;

/// <summary>
/// What the cascade measured: <see cref="Positions"/> liquidations caused by one tick; the times are those of the last
/// decision that got signed (landed), and the counts say how many did, within the harness's wait.
/// </summary>
internal sealed record CascadeResult(
    int Positions,
    string Asset,
    double EngineTickMs,
    double? SignedSeconds,
    double? LandedSeconds,
    int Signed,
    int Landed,
    int Refused,
    IReadOnlyList<int> BatchSizes);

/// <summary>
/// A cascade: N positions are opened on-chain in one block (each trader sends its own <c>openPosition</c> with an OPEN the
/// quorum signed; anvil's automine is paused so that the chain's clock moves one second, not N) and delivered to the silo
/// in bulk first (<see cref="PositionSeeder"/>, as the indexer's first sync would: state and book rows); then one tick
/// crosses all their liquidation bands. The oracle's audit table says when each LIQUIDATE was in a signed, sent
/// transaction and when its receipt applied it, and which transaction carried it (the batch sizes). It runs last: the
/// oracle's batches are blocks, each a second of anvil's clock.
/// </summary>
internal sealed class CascadeLoad(LoadStack stack)
{
    private const long EntryE8 = 100_00000000;
    private const long Collateral = 4_000_000; // 4 USDC: 10,000 of them at 10x stay below every market's open-interest cap
    private const uint LeverageX100 = 1_000;
    private const ulong OpenGas = 600_000; // one openPosition with room to spare; a block holds 10^10 (ANVIL_FLAGS)
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(180);
    private readonly TickClock _ticks = new();

    public async Task<CascadeResult> RunAsync(int positions, string asset)
    {
        var market = stack.Grains.GetGrain<IMarketGrain>(asset);
        var bookShards = (await TickPathLoad.MoveMarketAsync(market, EntryE8, _ticks)).BookShards;
        await stack.SetFeedPriceAsync(asset, EntryE8);
        await stack.WaitForChainClockAsync();
        var ids = await OpenInOneBlockAsync(asset, positions, bookShards);

        await stack.WaitForChainClockAsync(); // the contract refuses a price older than the positions' block
        var crash = EntryE8 * 92 / 100;
        await stack.SetFeedPriceAsync(asset, crash);
        Progress.Say($"cascade on {asset}: one tick crosses {positions:N0} liquidation bands");
        var tickAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var outcome = await market.SubmitTickAsync(new MarketTick(crash, _ticks.Next()));
        var tickMs = clock.Elapsed.TotalMilliseconds;
        if (!outcome.Accepted)
        {
            throw new InvalidOperationException($"the cascade tick was refused: {outcome.Rejection}");
        }

        var audit = new CascadeAudit(stack.Database, ids);
        double? signedSeconds = null;
        var counts = new CascadeAudit.Counts(0, 0, 0);
        while (clock.Elapsed < Wait)
        {
            var now = await audit.CountAsync();
            if (now.Signed > counts.Signed)
            {
                signedSeconds = clock.Elapsed.TotalSeconds; // the first poll that saw the latest one signed and sent
            }

            counts = now;
            if (counts.Landed + counts.Refused == positions)
            {
                break; // every one applied, refused or skipped: nothing more will land
            }

            await Task.Delay(50);
        }

        // The last signature and the last receipt by the oracle's own stamps (the polls above only say when to stop).
        signedSeconds = await audit.LastSignedAtAsync() is { } lastSigned ? (lastSigned - tickAt).TotalSeconds : signedSeconds;
        double? landedSeconds = counts.Landed > 0 ? (await audit.LastLandedAtAsync() - tickAt).TotalSeconds : null;
        Progress.Say($"  {counts.Signed:N0} signed, {counts.Landed:N0} landed, {counts.Refused:N0} refused or skipped after {clock.Elapsed.TotalSeconds:F1} s");
        if (await audit.LandingAsync() is { } landing)
        {
            // Where the landing went: one block per transaction is one receipt after another; many per block, pipelined.
            Progress.Say($"  {landing.Transactions:N0} transactions in {landing.Blocks:N0} blocks (at most {landing.MostPerBlock:N0} in one); " +
                         $"receipts settled from {(landing.FirstSettled - tickAt).TotalSeconds:F1} s to {(landing.LastSettled - tickAt).TotalSeconds:F1} s after the tick");
        }

        return new CascadeResult(positions, asset, tickMs, signedSeconds, landedSeconds, counts.Signed, counts.Landed, counts.Refused,
            await audit.BatchSizesAsync());
    }

    /// <summary>
    /// Opens <paramref name="count"/> 10x longs at <see cref="EntryE8"/> on-chain in one block and stores them in the silo
    /// first; returns their ids once the block is mined and the silo's indexer has read past it.
    /// </summary>
    private async Task<IReadOnlyList<string>> OpenInOneBlockAsync(string asset, int count, int bookShards)
    {
        var chain = stack.Chain;
        var modelHash = (await stack.Grains.GetGrain<IRiskGrain>(asset).GetModelAsync()).ModelHash;
        var margin = Math.Max(300u, chain.Deployment.Markets[asset].Config.MinMaintenanceMarginBps);
        var traders = LoadStack.TraderAccounts.Select(stack.Account).ToArray();
        var nonces = new ulong[traders.Length];
        for (var t = 0; t < traders.Length; t++)
        {
            nonces[t] = await chain.Rpc.GetTransactionCountAsync(traders[t].Address, "pending");
        }

        var chainId = await chain.Rpc.GetChainIdAsync();
        var fees = await chain.Rpc.GetFeesAsync();
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Progress.Say($"cascade on {asset}: signing {count:N0} OPENs (quorum) and their traders' transactions");
        var ids = new string[count];
        var raw = new byte[count][];
        var seeded = new SeededPosition[count];
        var opened = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var trader = traders[i % traders.Length];
            ids[i] = Hex.Encode(Keccak.Hash($"bench-cascade:{asset}:{i}:{now}"));
            var decision = new Decision(
                DecisionKind.Open, ids[i], asset, trader.Address.ToString(), true, Collateral, Collateral * LeverageX100 / 100, LeverageX100,
                margin, 0, 1_000, EntryE8, now, 0, now + 60, modelHash, Hex.Encode(Keccak.Hash(ids[i])));
            var onChain = chain.ToChain(decision);
            var quorum = await QuorumBuilder.SignAsync(chain.OnChainSigners, chain.Keys, chain.Deployment.Threshold, onChain.Digest(chain.Domain));
            var tx = new Eip1559Transaction(chainId, nonces[i % traders.Length]++, fees.MaxPriorityFeePerGas, fees.MaxFeePerGas * 4,
                OpenGas, chain.Contract.Contract, 0, MarginManagerAbi.EncodeOpenPosition(onChain, quorum));
            raw[i] = (await tx.SignAsync(trader)).Raw;
            var position = new ChainPosition(trader.Address.ToString(), asset, true, Collateral, Collateral * LeverageX100 / 100, EntryE8,
                LeverageX100, margin, 1_000, 1, ChainPositionStatus.Open, false);
            seeded[i] = new SeededPosition(ids[i], position, opened, modelHash, decision.FeaturesHash);
        }

        Progress.Say($"  signed in {clock.Elapsed.TotalSeconds:F1} s; delivering them to the silo in bulk");
        var book = new SeedMarket(asset, bookShards, chain.Deployment.Catalog()[asset].BorrowRateBpsPerDay, EntryE8);
        var stored = await stack.Seeder().SeedAsync(book, seeded, CancellationToken.None);
        if (stored.Count != count)
        {
            throw new InvalidOperationException($"{count - stored.Count} of {count} cascade positions were stored already");
        }

        Progress.Say($"  sending {count:N0} openPosition transactions into one block");
        await chain.Rpc.RequestAsync("evm_setAutomine", [false]);
        try
        {
            foreach (var tx in raw)
            {
                await chain.Rpc.SendRawTransactionAsync(tx);
            }

            await chain.Rpc.RequestAsync("evm_mine", []);
        }
        finally
        {
            await chain.Rpc.RequestAsync("evm_setAutomine", [true]);
        }

        var block = await chain.Rpc.GetBlockAsync("latest");
        var logs = await chain.Rpc.GetLogsAsync(new LogFilter(chain.Contract.Contract, FromBlock: Quantity.Encode(block.Number), ToBlock: Quantity.Encode(block.Number)));
        var openedLogs = logs.Count(l => chain.Abi.TryDecodeLog(l.Topics, l.Data)?.Name == MarginManagerNames.Events.PositionOpened);
        if (openedLogs != count)
        {
            throw new InvalidOperationException($"block {block.Number} opened {openedLogs} of the {count} cascade positions");
        }

        var version = (await chain.Contract.GetPositionAsync(Bytes32.Parse(ids[0]))).Version;
        if (version != 1)
        {
            throw new InvalidOperationException($"an opened position is at version {version} on-chain; the cascade seeded version 1");
        }

        Progress.Say($"  block {block.Number} opened {count:N0}; waiting for the silo's indexer to read it");
        var indexer = stack.Grains.GetGrain<IChainIndexerGrain>(chain.OracleKey);
        var deadline = Stopwatch.StartNew();
        // The indexer reads the block's positions in batches and delivers the events to 32 positions at once, each a
        // grain activation and a state write: on a machine shared with other work the wait still grows with the block.
        var indexerWait = Wait + TimeSpan.FromMilliseconds(30 * count);
        while (await NextBlockAsync(indexer) <= block.Number)
        {
            if (deadline.Elapsed > indexerWait)
            {
                throw new TimeoutException($"the silo's indexer did not read block {block.Number} within {indexerWait.TotalSeconds} s");
            }

            await Task.Delay(100);
        }

        Progress.Say($"  the indexer delivered the block in {deadline.Elapsed.TotalSeconds:F1} s");
        return ids;
    }

    /// <summary>
    /// The indexer's cursor; 0 while it is still delivering the block: it answers between polls only, and delivering ten
    /// thousand events takes longer than a grain call may wait.
    /// </summary>
    private static async Task<ulong> NextBlockAsync(IChainIndexerGrain indexer)
    {
        try
        {
            return await indexer.GetNextBlockAsync();
        }
        catch (TimeoutException)
        {
            return 0;
        }
    }
}
