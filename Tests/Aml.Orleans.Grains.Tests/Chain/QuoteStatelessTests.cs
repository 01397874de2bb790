using Aml.Orleans.Grains.Interfaces;
using Npgsql;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>A quote is free of state: many of them activate no position grain and leave no row in any table.</summary>
[Collection(ChainClusterCollection.Name)]
public sealed class QuoteStatelessTests(ChainClusterFixture fixture)
{
    private const string Asset = "BTC-USD";

    [Fact]
    public async Task QuoteAsync_ManyQuotes_NoPositionActivatedAndNoRowWritten()
    {
        await fixture.EnsureFeaturesAsync(Asset);
        await fixture.MoveMarketAsync(Asset, 47_000_00000000);
        var trader = fixture.Chain.Signer(6).Address.ToString();
        var ids = Enumerable.Range(0, 32).Select(_ => ChainClusterFixture.NewPositionId()).ToArray();
        var positionType = fixture.Client.GetGrain<IPositionGrain>(ids[0]).GetGrainId().Type;

        var quotes = await Task.WhenAll(ids.Select((id, i) => fixture.Client.GetGrain<IQuoteGrain>(0).QuoteAsync(
            id, new QuoteRequest(trader, Asset, i % 2 == 0, 100_000_000 + i, 200 + (10 * i)))));

        Assert.All(quotes, q => Assert.True(q.Accepted, q.Reason));
        Assert.All(quotes, q => Assert.Equal(q.Decision!.FeaturesHash, q.Inputs!.FeaturesHash)); // the inputs travel with the quote
        var active = await fixture.Client.GetGrain<IManagementGrain>(0).GetActiveGrains(positionType);
        Assert.DoesNotContain(active, grain => ids.Contains(grain.Key.ToString()));
        await using var dataSource = NpgsqlDataSource.Create(fixture.Database.ConnectionString);
        Assert.Equal(0L, await CountAsync(dataSource, "SELECT count(*) FROM orleans_storage WHERE grain_id_extension = ANY($1)", ids));
        Assert.Equal(0L, await CountAsync(dataSource, "SELECT count(*) FROM aml_audit_decision WHERE position_id = ANY($1)", ids));
        Assert.Equal(0L, await CountAsync(dataSource, "SELECT count(*) FROM aml_decision_outcome WHERE position_id = ANY($1)", ids));
        // The same lookup finds a grain that does keep state under a string key (the market, once it has flushed its
        // candles): the query can see a row when there is one.
        await ClusterFixture.EventuallyAsync(
            () => CountAsync(dataSource, "SELECT count(*) FROM orleans_storage WHERE grain_id_extension = ANY($1)", [Asset]), n => n >= 1, "the market's stored state");
    }

    private static async Task<long> CountAsync(NpgsqlDataSource dataSource, string sql, string[] keys)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue(keys);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
