using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>
/// The indexer's first sync on a contract with history the silos never saw: a second anvil with its own deployment
/// (the same addresses, so the same oracle key), where traders open positions themselves. Its first sync seeds them in
/// bulk into the silos' grain storage and book shards, with no position grain activated, and each then activates from
/// storage as the chain holds it. The cluster's own indexer watches the first anvil, so nothing else delivers them.
/// </summary>
[Collection(ChainClusterCollection.Name)]
public sealed class ChainFirstSyncTests(ChainClusterFixture fixture)
{
    private const string Asset = "BTC-USD"; // the market the chain suites have a model for
    private const long Collateral = 100_000_000; // 100 USDC
    private const int Opened = 4;

    private IServiceProvider Services => fixture.Cluster.GetSiloServiceProvider(fixture.Cluster.Silos[0].SiloAddress);

    [Fact]
    public async Task RunAsync_PositionsOpenedOnChain_SeededInBulkActivatableAndInTheirShardsWithoutActivatingAGrain()
    {
        await using var history = await AnvilChain.StartAsync();
        using var chain = new ChainContext(history.Deployment, Options.Create(OracleOf(history)));
        var price = await fixture.MarkAsync(Asset);
        var modelHash = (await fixture.Client.GetGrain<IRiskGrain>(Asset).GetModelAsync()).ModelHash;
        await history.AllowModelAsync(modelHash);
        await history.SetFeedPriceAsync(Asset, price);
        await history.WaitForClockAsync();
        var ids = new List<string>();
        for (var i = 0; i < Opened; i++)
        {
            ids.Add(await OpenOnChainAsync(history, chain, price, 200 + 100 * (uint)i, modelHash));
        }

        Assert.Equal(chain.Deployment.OracleKey, fixture.Chain.Deployment.OracleKey); // the same oracle's audit is asked
        var catalog = Services.GetRequiredService<IOptions<MarketCatalogOptions>>().Value;
        var sync = new ChainFirstSync(chain, new ChainEventRelay(chain, fixture.Client), fixture.Client, catalog,
            Services.GetRequiredService<PositionSeeder>(), 5_000);
        var head = await chain.Rpc.GetBlockNumberAsync();

        var result = await sync.RunAsync(history.Deployment.DeployBlock, head, CancellationToken.None);

        Assert.Equal(new FirstSyncResult(Opened, 0), result);
        var active = await fixture.ActivePositionsAsync();
        Assert.DoesNotContain(ids, active.Contains); // seeded, none activated
        var buckets = catalog.BookBucketsFor(Asset);
        for (var i = 0; i < Opened; i++)
        {
            var key = PositionKey.Parse(ids[i]);
            var row = await fixture.Client.GetGrain<IMarketBookGrain>(BookShardKey.For(Asset, key, buckets).ToString()).GetRowAsync(key);
            Assert.NotNull(row);
            Assert.True(row.Value.Liquidation.IsSet && row.Value.Liquidation.PriceE8 < price, $"a long's liquidation band below the mark, not {row.Value.Liquidation}");
            var onChain = await chain.Contract.GetPositionAsync(Bytes32.Parse(ids[i]));
            var snapshot = await fixture.Client.GetGrain<IPositionGrain>(ids[i]).GetSnapshotAsync(); // activates from the seeded state
            Assert.Equal(
                (PositionStatus.Open, history.Signer(6).Address.ToString(), Collateral, Collateral * (200 + 100 * i) / 100, price, onChain.Version, modelHash),
                (snapshot!.Status, snapshot.Trader, snapshot.Collateral, snapshot.Size, snapshot.EntryPriceE8, snapshot.OnChainVersion, snapshot.ModelHash));
        }

        // Run again (a crash before the cursor moved): nothing is seeded twice, and the stored positions get their events.
        Assert.Equal(new FirstSyncResult(0, Opened), await sync.RunAsync(history.Deployment.DeployBlock, head, CancellationToken.None));
    }

    /// <summary>The trader opens a long at <paramref name="priceE8"/> itself with an OPEN the quorum signed; returns its id.</summary>
    private static async Task<string> OpenOnChainAsync(AnvilChain history, ChainContext chain, long priceE8, uint leverageX100, string modelHash)
    {
        var id = ChainClusterFixture.NewPositionId();
        var trader = history.Signer(6);
        var margin = Math.Max(300u, history.Deployment.Markets[Asset].Config.MinMaintenanceMarginBps);
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var decision = chain.ToChain(new Decision(
            DecisionKind.Open, id, Asset, trader.Address.ToString(), true, Collateral, Collateral * leverageX100 / 100, leverageX100,
            margin, 0, 1_000, priceE8, now, 0, now + 60, modelHash, Hex.Encode(Keccak.Hash(id))));
        var quorum = await QuorumBuilder.SignAsync(chain.OnChainSigners, chain.Keys, chain.Deployment.Threshold, decision.Digest(chain.Domain));
        var receipt = await chain.Contract.SendAsync(chain.Sender, trader, MarginManagerAbi.EncodeOpenPosition(decision, quorum));
        Assert.True(receipt.Succeeded, $"the OPEN of {id} reverted in {receipt.TransactionHash}");
        return id;
    }

    private static OracleOptions OracleOf(AnvilChain chain)
    {
        var options = new OracleOptions { RelayerKey = chain.Key(10) };
        for (var i = 1; i <= 5; i++)
        {
            options.SignerKeys.Add(chain.Key(i));
        }

        return options;
    }
}
