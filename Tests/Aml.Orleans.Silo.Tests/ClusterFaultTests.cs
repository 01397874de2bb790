using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Tests;
using Aml.Orleans.Protos;
using Xunit.Abstractions;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;
using QuoteRequest = Aml.Orleans.Protos.QuoteRequest;

namespace Aml.Orleans.Silo.Tests;

/// <summary>Three silo processes on one PostgreSQL membership, the contracts on anvil, a feed client.</summary>
public sealed class ClusterFaultFixture() : GatewayFixture(silos: 3, ownDatabaseServer: true);

[CollectionDefinition(Name)]
public sealed class ClusterFaultCollection : ICollectionFixture<ClusterFaultFixture>
{
    public const string Name = "cluster faults";
}

/// <summary>Faults on a real multi-silo cluster, loopback only, bounded in time; each prints what it did and counted.</summary>
[Collection(ClusterFaultCollection.Name)]
public sealed class ClusterFaultTests(ClusterFaultFixture fixture, ITestOutputHelper output)
{
    private const string Asset = "BTC-USD";
    private const long EntryE8 = 47_000_00000000;

    [Fact]
    public async Task KillNine_OneSiloUnderLoad_PositionsComeBackAndEveryDecisionLandsOnce()
    {
        var startE8 = await StartPriceAsync();
        var ids = await OpenLongsAsync(9);
        await BandsStoredAsync(ids); // a market that comes back on another silo loads them from there
        await fixture.Chain.WaitForClockAsync(); // prices must not be older than the opens' blocks

        // Load: the feed keeps ticking while a silo dies; then the price falls 20 %, one percent per tick.
        var ticks = 0;
        var refused = 0;
        fixture.Silos[2].Kill(entireProcessTree: true);
        for (var step = 0; step <= 20; step++)
        {
            var price = startE8 * (100 - step) / 100;
            var attempts = 0;
            await ClusterFixture.EventuallyAfterFailoverAsync( // the market lived on the dead silo: it comes back elsewhere once membership agrees
                async () =>
                {
                    attempts++;
                    await fixture.PriceAsync(Asset, price);
                    return true;
                },
                delivered => delivered,
                $"the tick at step {step} delivered");
            ticks++;
            refused += attempts - 1;
        }

        await SettledAsync(ids, startE8 * 80 / 100, "every position liquidated on-chain and followed by its grain", seconds: 120);
        var perPosition = await AuditCaughtUpAsync(ids);

        var liquidationEvents = 0;
        var appliedDecisions = 0;
        foreach (var (id, events, applied) in perPosition.Positions)
        {
            Assert.True(events > 0, $"position {id} was never liquidated");
            Assert.Equal(events, applied); // each applied decision is one event: none lost, none sent twice
            liquidationEvents += events;
            appliedDecisions += applied;
        }

        output.WriteLine($"killed silo 2 (kill -9) under load; {ticks} ticks delivered, {refused} refused during fail-over; " +
                         $"{ids.Count} positions, {liquidationEvents} liquidations on-chain = {appliedDecisions} applied decisions in the audit; losses 0");
    }

    [Fact]
    public async Task ChainUnreachable_ForAWhile_DecisionsQueueThenLandInTheirOrder()
    {
        var startE8 = await StartPriceAsync();
        var ids = await OpenLongsAsync(4);
        await fixture.Chain.WaitForClockAsync(); // prices must not be older than the opens' blocks
        fixture.ChainLink.Block();
        for (var step = 1; step <= 20; step++)
        {
            await fixture.PriceAsync(Asset, startE8 * (100 - step) / 100);
        }

        var queued = await ClusterFixture.EventuallyAsync(
            () => fixture.Database.ScalarAsync<long>(
                "SELECT count(*) FROM aml_audit_decision WHERE position_id = ANY(@ids) AND kind = 'LIQUIDATE' AND status = 'QUEUED'", ("ids", ids.ToArray())),
            n => n == ids.Count, "every liquidation queued while the chain is away", seconds: 30);
        var refusedBefore = fixture.ChainLink.Refused;
        await ClusterFixture.EventuallyAsync( // the silos keep trying the chain meanwhile, and keep failing
            () => Task.FromResult(fixture.ChainLink.Refused), n => n >= refusedBefore + 10, "ten more calls to the chain refused", seconds: 30);
        var landedDuringOutage = await CountLiquidationsAsync(ids);
        fixture.ChainLink.Unblock();

        await SettledAsync(ids, startE8 * 80 / 100, "every queued decision landed once the chain answered", seconds: 90);
        await AuditCaughtUpAsync(ids); // the order below is read from the APPLIED rows

        // In their order: the decision that liquidated each position, in the order the oracle took them in, landed in
        // blocks that never go backwards. (Version 2: the price feed kept following the market during the outage, so a
        // decision queued at a price the feed contradicts by then is refused before signing and decided again at the
        // current price; nothing else may refuse one.)
        var blocks = new List<ulong>();
        foreach (var id in ids)
        {
            var first = await fixture.Chain.Rpc.GetLogsAsync(new Ethereum.Rpc.LogFilter(
                Address.Parse(fixture.Chain.Deployment.MarginManager),
                [MarginManagerAbi.Definition.Event("PositionLiquidated").Topic0, Bytes32.Parse(id)], FromBlock: "0x0", ToBlock: "latest"));
            blocks.Add(first[0].BlockNumber!.Value);
        }

        var order = await fixture.Database.ScalarAsync<string>(
            "SELECT string_agg(position_id, ',' ORDER BY created_at) FROM (SELECT DISTINCT ON (position_id) position_id, created_at FROM aml_audit_decision " +
            "WHERE position_id = ANY(@ids) AND kind = 'LIQUIDATE' AND status = 'APPLIED' ORDER BY position_id, created_at) firsts", ("ids", ids.ToArray()));
        var refusedOtherwise = await fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM aml_audit_decision WHERE position_id = ANY(@ids) AND kind = 'LIQUIDATE' AND status = 'FAILED' " +
            "AND outcome NOT LIKE '%bps from the feed%'", ("ids", ids.ToArray()));
        Assert.Equal(0, refusedOtherwise);
        var byQueue = order.Split(',').Select(id => blocks[ids.IndexOf(id)]).ToList();
        Assert.Equal(byQueue.Order().ToList(), byQueue);
        Assert.Equal(0, landedDuringOutage);
        var landed = await CountLiquidationsAsync(ids);
        output.WriteLine($"cut the chain link for the crash: {queued} liquidations queued, {landedDuringOutage} landed during the outage; " +
                         $"after it: {landed} liquidations on-chain in blocks {string.Join(", ", byQueue)} (queue order); losses 0");
    }

    [Fact]
    public async Task PostgresRestart_UnderLoad_EveryDecisionLandsOnce()
    {
        var startE8 = await StartPriceAsync();
        var ids = await OpenLongsAsync(4);
        await fixture.Chain.WaitForClockAsync();

        var ticks = 0;
        var refused = 0;
        for (var step = 1; step <= 20; step++)
        {
            if (step == 5)
            {
                await fixture.DatabaseServer!.StopAsync(); // mid-crash: grain state, reminders and membership all go
                await ClusterFixture.EventuallyAsync(fixture.IsReadyAsync, ready => !ready, "the silo reports PostgreSQL gone", seconds: 30);
            }

            if (step == 12)
            {
                await fixture.DatabaseServer!.StartAgainAsync();
                await ClusterFixture.EventuallyAsync(fixture.IsReadyAsync, ready => ready, "the silo ready again", seconds: 60);
            }

            try
            {
                await fixture.PriceAsync(Asset, startE8 * (100 - step) / 100);
                ticks++;
            }
            catch (Exception ex) when (ex is OrleansException or TimeoutException)
            {
                refused++;
            }
        }

        await SettledAsync(ids, startE8 * 80 / 100, "every position liquidated once PostgreSQL was back", seconds: 150);
        // A receipt that came while PostgreSQL was away left its audit row staged in the oracle: it must catch up.
        var (events, applied) = await ClusterFixture.EventuallyAsync(
            () => CountAsync(ids), counts => counts.Events == counts.Applied, "every liquidation on-chain has its APPLIED audit row", seconds: 30);
        Assert.Equal(events, applied);
        Assert.True(events >= ids.Count, $"{events} liquidations for {ids.Count} positions");
        output.WriteLine($"stopped PostgreSQL for 7 of 20 crash ticks ({ticks} delivered, {refused} refused); {ids.Count} positions, " +
                         $"{events} liquidations on-chain = {applied} applied decisions in the audit; losses 0");
    }

    /// <summary>
    /// Waits until every position's row, with its liquidation band, is stored in its market's book table (not only in
    /// the shard's memory): what a shard re-activated on another silo loads.
    /// </summary>
    private Task BandsStoredAsync(List<string> ids) =>
        ClusterFixture.EventuallyAsync(
            () => fixture.Database.ScalarAsync<long>(
                "SELECT count(*) FROM aml_position_book WHERE liquidation_band_e8 > 0 AND position_id = ANY(" +
                "SELECT decode(substr(id, 3), 'hex') FROM unnest(@ids::text[]) id)", ("ids", ids.ToArray())),
            stored => stored == ids.Count, "every position's bands stored", seconds: 30);

    /// <summary>The suites share the market: each starts from wherever the last one left it.</summary>
    private async Task<long> StartPriceAsync()
    {
        var market = fixture.Feed.GetGrain<IMarketGrain>(Asset);
        var startE8 = (await market.GetSnapshotAsync()).LastPriceE8 is > 0 and var last ? last : EntryE8;
        await fixture.PriceAsync(Asset, startE8);
        return startE8;
    }

    /// <summary>Opens 10x longs through each live silo's gateway in turn, so the positions spread over the cluster.</summary>
    private async Task<List<string>> OpenLongsAsync(int count)
    {
        var gateways = fixture.Channels.Where((_, i) => !fixture.Silos[i].HasExited).ToList();
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var positions = new Protos.Positions.PositionsClient(gateways[i % gateways.Count]);
            var trader = fixture.Chain.Signer(6 + (i % 3));
            var headers = await fixture.SignInAsync(6 + (i % 3));
            var quote = await positions.QuoteAsync(new QuoteRequest { Asset = Asset, IsLong = true, Collateral = 150_000_000, RequestedLeverageX100 = 1_000 }, headers);
            Assert.True(quote.Accepted, quote.Reason);
            await positions.OpenAsync(new OpenRequest { PositionId = quote.PositionId, Digest = quote.Digest, Decision = quote.Decision, QuoteToken = quote.QuoteToken, TraderSignature = Hex.Encode(trader.SignHash(Hex.Decode(quote.Digest)).ToRsv()) }, headers);
            ids.Add(quote.PositionId);
        }

        await ClusterFixture.EventuallyAsync(
            () => Task.WhenAll(ids.Select(id => fixture.Feed.GetGrain<IPositionGrain>(id).GetSnapshotAsync())),
            all => all.All(s => s is { Status: PositionStatus.Open }), "all open", seconds: 30);
        return ids;
    }

    /// <summary>
    /// Waits until each position's APPLIED LIQUIDATE rows in the audit are as many as its PositionLiquidated events, and
    /// returns both counts per position. The grains follow the chain through the indexer, the rows follow the oracle's
    /// own receipt round (after a fail-over, the re-activated oracle's): a settled grain does not mean a written row.
    /// A decision applied twice could never catch up (the second landing is skipped, not applied).
    /// </summary>
    private Task<AuditCounts> AuditCaughtUpAsync(List<string> ids) =>
        ClusterFixture.EventuallyAsync(
            async () =>
            {
                var counts = new List<(string, int, int)>();
                foreach (var id in ids)
                {
                    var applied = await fixture.Database.ScalarAsync<long>(
                        "SELECT count(*) FROM aml_audit_decision WHERE position_id = @id AND kind = 'LIQUIDATE' AND status = 'APPLIED'", ("id", id));
                    counts.Add((id, await CountLiquidationsAsync([id]), (int)applied));
                }

                return new AuditCounts(counts);
            },
            counts => counts.Positions.All(c => c.Events > 0 && c.Events == c.Applied),
            "every liquidation on-chain with its APPLIED audit row",
            seconds: 60);

    private sealed record AuditCounts(List<(string Id, int Events, int Applied)> Positions)
    {
        public override string ToString() => string.Join(", ", Positions.Select(p => $"{p.Id[..10]}: {p.Events} on-chain, {p.Applied} applied"));
    }

    private async Task<(int Events, int Applied)> CountAsync(List<string> ids)
    {
        var applied = await fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM aml_audit_decision WHERE position_id = ANY(@ids) AND kind = 'LIQUIDATE' AND status = 'APPLIED'", ("ids", ids.ToArray()));
        return (await CountLiquidationsAsync(ids), (int)applied);
    }

    /// <summary>
    /// Waits (through fail-over) until every position is healthy at <paramref name="lastE8"/> on-chain or closed out,
    /// no decision of it is pending, and its grain holds the chain's version; the feed keeps ticking meanwhile.
    /// </summary>
    private async Task SettledAsync(List<string> ids, long lastE8, string what, int seconds)
    {
        var contract = new MarginManagerClient(fixture.Chain.Rpc, Address.Parse(fixture.Chain.Deployment.MarginManager));
        await ClusterFixture.EventuallyAfterFailoverAsync(
            async () =>
            {
                await fixture.PriceAsync(Asset, lastE8);
                var settled = 0;
                foreach (var id in ids)
                {
                    var grain = await fixture.Feed.GetGrain<IPositionGrain>(id).GetSnapshotAsync();
                    var chain = await contract.GetPositionAsync(Bytes32.Parse(id));
                    var healthy = chain.Status != Ethereum.PositionStatus.Open ||
                                  !await contract.IsLiquidatableAsync(Bytes32.Parse(id), Grains.Domain.Units.ToE18(lastE8));
                    settled += grain is not null && grain.PendingDigest is null && grain.OnChainVersion == chain.Version && healthy ? 1 : 0;
                }

                return settled;
            },
            settled => settled == ids.Count,
            what,
            seconds);
    }

    private async Task<int> CountLiquidationsAsync(List<string> ids)
    {
        var total = 0;
        foreach (var id in ids)
        {
            total += (await fixture.Chain.Rpc.GetLogsAsync(new Ethereum.Rpc.LogFilter(
                Address.Parse(fixture.Chain.Deployment.MarginManager),
                [MarginManagerAbi.Definition.Event("PositionLiquidated").Topic0, Bytes32.Parse(id)], FromBlock: "0x0", ToBlock: "latest"))).Count;
        }

        return total;
    }
}
