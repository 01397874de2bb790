using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Protos;
using Xunit.Abstractions;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;
using QuoteRequest = Aml.Orleans.Protos.QuoteRequest;

namespace Aml.Orleans.Grains.Tests.Gateway;

/// <summary>Three silo processes on one PostgreSQL membership, the contracts on anvil, a feed client.</summary>
public sealed class ClusterFaultFixture() : GatewayFixture(silos: 3);

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
        await fixture.PriceAsync(Asset, EntryE8);
        var ids = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            // Through each silo's gateway in turn: the positions spread over the cluster.
            var channel = fixture.Channels[i % fixture.Channels.Count];
            var trader = fixture.Chain.Signer(6 + (i % 3));
            var headers = await fixture.SignInAsync(6 + (i % 3));
            var positions = new Protos.Positions.PositionsClient(channel);
            var quote = await positions.QuoteAsync(new QuoteRequest { Asset = Asset, IsLong = true, Collateral = 200_000_000, RequestedLeverageX100 = 1_000 }, headers);
            Assert.True(quote.Accepted, quote.Reason);
            await positions.OpenAsync(new OpenRequest { PositionId = quote.PositionId, Digest = quote.Digest, TraderSignature = Hex.Encode(trader.SignHash(Hex.Decode(quote.Digest)).ToRsv()) }, headers);
            ids.Add(quote.PositionId);
        }

        await ClusterFixture.EventuallyAsync(
            () => Task.WhenAll(ids.Select(id => fixture.Feed.GetGrain<IPositionGrain>(id).GetSnapshotAsync())),
            all => all.All(s => s is { Status: PositionStatus.Open }), "all open", seconds: 30);
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the markets flush their bands once a second

        // Load: the feed keeps ticking while a silo dies; then the price falls 20 %, one percent per tick.
        var ticks = 0;
        var refused = 0;
        fixture.Silos[2].Kill(entireProcessTree: true);
        for (var step = 0; step <= 20; step++)
        {
            var price = EntryE8 * (100 - step) / 100;
            while (true)
            {
                try
                {
                    await fixture.PriceAsync(Asset, price);
                    ticks++;
                    break;
                }
                catch (Exception ex) when (ex is OrleansException or TimeoutException)
                {
                    refused++; // the market lived on the dead silo: it comes back elsewhere once membership agrees
                    await Task.Delay(200);
                }
            }
        }

        var contract = new MarginManagerClient(fixture.Chain.Rpc, Address.Parse(fixture.Chain.Deployment.MarginManager));
        var lastE8 = EntryE8 * 80 / 100;
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
                                  !await contract.IsLiquidatableAsync(Bytes32.Parse(id), (UInt128)lastE8 * 10_000_000_000);
                    settled += grain is not null && grain.PendingDigest is null && grain.OnChainVersion == chain.Version && healthy ? 1 : 0;
                }

                return settled;
            },
            settled => settled == ids.Count,
            "every position liquidated on-chain and followed by its grain",
            seconds: 120);

        var liquidationEvents = 0;
        var appliedDecisions = 0;
        foreach (var id in ids)
        {
            var events = await fixture.Chain.Rpc.GetLogsAsync(new Ethereum.Rpc.LogFilter(
                Address.Parse(fixture.Chain.Deployment.MarginManager),
                [MarginManagerAbi.Definition.Event("PositionLiquidated").Topic0, Bytes32.Parse(id)], FromBlock: "0x0", ToBlock: "latest"));
            var applied = await fixture.Database.ScalarAsync<long>(
                "SELECT count(*) FROM aml_audit_decision WHERE position_id = @id AND kind = 'LIQUIDATE' AND status = 'APPLIED'", ("id", id));
            Assert.True(events.Count > 0, $"position {id} was never liquidated");
            Assert.Equal(events.Count, (int)applied); // each applied decision is one event: none lost, none sent twice
            liquidationEvents += events.Count;
            appliedDecisions += (int)applied;
        }

        output.WriteLine($"killed silo 2 (kill -9) under load; {ticks} ticks delivered, {refused} refused during fail-over; " +
                         $"{ids.Count} positions, {liquidationEvents} liquidations on-chain = {appliedDecisions} applied decisions in the audit; losses 0");
    }
}
