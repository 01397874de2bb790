using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Core.Internal;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>
/// The bulk path on the silos of the chain suites (grain state in PostgreSQL through the ADO.NET provider): positions
/// seeded as the indexer delivers them are stored in the provider's own rows and their shards' books, no position grain
/// is activated, and a tick that crosses a seeded position's band liquidates it from its stored state.
/// </summary>
[Collection(ChainClusterCollection.Name)]
public sealed class PositionSeederTests(ChainClusterFixture fixture)
{
    private const string Asset = "ETH-USD";
    private const long Collateral = 100_000_000; // 100 USDC
    private const string Trader = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

    private PositionSeeder Seeder => Services.GetRequiredService<PositionSeeder>();

    private IServiceProvider Services => fixture.Cluster.GetSiloServiceProvider(fixture.Cluster.Silos[0].SiloAddress);

    [Fact]
    public async Task SeedAsync_OpenPositions_StoredInTheProvidersOwnRowsAndBooksWithoutActivatingAGrain()
    {
        // A position the grain itself stored, the reference for the provider's row.
        var written = ChainClusterFixture.NewPositionId();
        var price = await fixture.MarkAsync(Asset);
        await fixture.Client.GetGrain<IPositionEngineGrain>(written).ApplyChainEventAsync(new ChainPositionEvent(
            "PositionOpened", written, null, 1, "0x01", Open(price, 500), 0, 0));
        var ids = Enumerable.Range(0, 3).Select(_ => ChainClusterFixture.NewPositionId()).ToArray();

        var seeded = await Seeder.SeedAsync(Market(price), ids.Select((id, i) => Seeded(id, Open(price, 200 + 100 * (uint)i))).ToList(), CancellationToken.None);

        Assert.Equal(ids.Order(StringComparer.Ordinal), seeded.Order(StringComparer.Ordinal));
        var reference = await StoredKeyAsync(written);
        foreach (var id in ids)
        {
            Assert.Equal(reference with { Key = id, KeyHash = PositionStateTable.KeyHash(id) }, await StoredKeyAsync(id));
            Assert.NotEqual(reference.KeyHash, PositionStateTable.KeyHash(id));
        }

        Assert.Equal(PositionStateTable.KeyHash(written), reference.KeyHash); // the provider's own hash of its own row
        var active = await fixture.ActivePositionsAsync();
        Assert.DoesNotContain(ids, id => active.Contains(id)); // seeded, never activated
        for (var i = 0; i < ids.Length; i++)
        {
            var row = await ShardOf(ids[i]).GetRowAsync(PositionKey.Parse(ids[i]));
            Assert.NotNull(row);
            Assert.True(row.Value.Liquidation.IsSet && row.Value.Liquidation.PriceE8 < price, $"a long's liquidation band below the mark, not {row.Value.Liquidation}");
            var snapshot = await fixture.Client.GetGrain<IPositionGrain>(ids[i]).GetSnapshotAsync(); // activates from the seeded row
            Assert.Equal((PositionStatus.Open, Trader, Asset, Collateral, Collateral * (200 + 100 * i) / 100, price),
                (snapshot!.Status, snapshot.Trader, snapshot.Asset, snapshot.Collateral, snapshot.Size, snapshot.EntryPriceE8));
        }
    }

    [Fact]
    public async Task SeedAsync_PositionStoredAlready_LeftAsItIs()
    {
        var price = await fixture.MarkAsync(Asset);
        var id = ChainClusterFixture.NewPositionId();
        Assert.Equal([id], await Seeder.SeedAsync(Market(price), [Seeded(id, Open(price, 300))], CancellationToken.None));
        var row = await ShardOf(id).GetRowAsync(PositionKey.Parse(id));

        var again = await Seeder.SeedAsync(Market(price), [Seeded(id, Open(price, 300) with { Collateral = 2 * Collateral })], CancellationToken.None);

        Assert.Empty(again);
        Assert.Equal(Collateral, (await fixture.Client.GetGrain<IPositionGrain>(id).GetSnapshotAsync())!.Collateral);
        Assert.Equal(row, await ShardOf(id).GetRowAsync(PositionKey.Parse(id)));
    }

    [Fact]
    public async Task SeedAsync_ClosedPositionInTheDelivery_RefusedNamingItAndNothingStored()
    {
        var price = await fixture.MarkAsync(Asset);
        var (open, closed) = (ChainClusterFixture.NewPositionId(), ChainClusterFixture.NewPositionId());

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => Seeder.SeedAsync(Market(price),
            [Seeded(open, Open(price, 300)), Seeded(closed, Open(price, 300) with { Status = ChainPositionStatus.Closed })],
            CancellationToken.None));

        Assert.StartsWith($"positions[1]: position {closed} is Closed", refused.Message);
        Assert.Null(await StoredKeyOrNullAsync(open));
        Assert.Null(await ShardOf(open).GetRowAsync(PositionKey.Parse(open)));
    }

    [Fact]
    public async Task SeedAsync_ModelHashNotBytes32_RefusedNamingTheFieldAndNothingStored()
    {
        var price = await fixture.MarkAsync(Asset);
        var id = ChainClusterFixture.NewPositionId();

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => Seeder.SeedAsync(Market(price),
            [Seeded(id, Open(price, 300)) with { ModelHash = "0x1234" }], CancellationToken.None));

        Assert.StartsWith("positions[0].ModelHash: '0x1234' is not a bytes32 hash", refused.Message);
        Assert.Null(await StoredKeyOrNullAsync(id));
    }

    [Fact]
    public async Task SeededPosition_TickCrossesItsBand_LiquidatedFromItsStoredState()
    {
        var price = await fixture.MarkAsync(Asset);
        var id = ChainClusterFixture.NewPositionId();
        // 20x at a 3 % margin: liquidated 2 % below entry, so the tick below moves the market by little.
        await Seeder.SeedAsync(Market(price), [Seeded(id, Open(price, 2_000))], CancellationToken.None);
        Assert.DoesNotContain(id, await fixture.ActivePositionsAsync());
        try
        {
            await fixture.MoveMarketAsync(Asset, price * 975 / 1_000);

            // Its shard decided the LIQUIDATE from the stored state (not on-chain, the contract skips it); the decision is
            // audited, and the position, told of it, activates from its stored state.
            var kinds = await ClusterFixture.EventuallyAsync(() => AuditedKindsAsync(id), k => k.Count > 0, "a decision for the seeded position");
            Assert.Contains("LIQUIDATE", kinds);
            await ClusterFixture.EventuallyAsync(() => fixture.ActivePositionsAsync(), a => a.Contains(id), "the position activated");
            var snapshot = await fixture.Client.GetGrain<IPositionGrain>(id).GetSnapshotAsync();
            Assert.Equal((Trader, Collateral, 1UL), (snapshot!.Trader, snapshot.Collateral, snapshot.OnChainVersion));
        }
        finally
        {
            await fixture.MoveMarketAsync(Asset, price); // healthy again: the refused position stops retrying
        }
    }

    private static SeededPosition Seeded(string id, ChainPosition position) =>
        new(id, position, DateTimeOffset.UtcNow.AddMinutes(-1), ChainClusterFixture.TestModelHash, Hex.Encode(Keccak.Hash(id)));

    private static ChainPosition Open(long entryE8, uint leverageX100) =>
        new(Trader, Asset, true, Collateral, Collateral * leverageX100 / 100, entryE8, leverageX100, 300, 1_000, 1, ChainPositionStatus.Open, false);

    private SeedMarket Market(long priceE8) =>
        new(Asset, 1, fixture.Chain.Deployment.Catalog()[Asset].BorrowRateBpsPerDay, priceE8);


    private IMarketBookGrain ShardOf(string id) =>
        fixture.Client.GetGrain<IMarketBookGrain>(BookShardKey.For(Asset, PositionKey.Parse(id), 1).ToString());


    private sealed record StoredKey(string Key, string GrainType, int GrainTypeHash, int KeyHash, long N0, long N1);

    private async Task<StoredKey> StoredKeyAsync(string id) =>
        await StoredKeyOrNullAsync(id) ?? throw new Xunit.Sdk.XunitException($"no stored state for {id}");

    private async Task<StoredKey?> StoredKeyOrNullAsync(string id)
    {
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT grain_type, grain_type_hash, grain_id_hash, grain_id_n0, grain_id_n1 FROM orleans_storage " +
            "WHERE grain_id_extension = @id", connection);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync()
            ? new StoredKey(id, reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt64(3), reader.GetInt64(4))
            : null;
    }

    private async Task<List<string>> AuditedKindsAsync(string id)
    {
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT kind FROM aml_audit_decision WHERE position_id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        var kinds = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            kinds.Add(reader.GetString(0));
        }

        return kinds;
    }
}
