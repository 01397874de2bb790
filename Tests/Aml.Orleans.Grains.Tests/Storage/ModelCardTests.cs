using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;
using Aml.Orleans.Grains.Outcomes;
using Aml.Orleans.Grains.Storage;
using Aml.Orleans.Risk;
using Npgsql;

namespace Aml.Orleans.Grains.Tests.Storage;

/// <summary>Model cards on real PostgreSQL: the manifest of each promoted set and its live coverage per side since promotion.</summary>
public sealed class ModelCardTests
{
    private static readonly DateTimeOffset PromotedAt = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ListAsync_DecisionsBeforeAndSincePromotion_CoveragePerSideCountsOnlyTheMaturedOnesSince()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await PostgresSchema.MigrateAsync(PostgresSiloBuilderExtensions.NormalizeConnectionString(database.ConnectionString), CancellationToken.None);
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var models = TestModels.TrainBtc(trees: 5);
        await new ModelStoreTable(dataSource).PublishAsync(models);
        var cards = new ModelCards(dataSource);
        await cards.PromotedAsync("BTC-USD", models.ModelHash, PromotedAt);
        await cards.PromotedAsync("BTC-USD", models.ModelHash, PromotedAt.AddDays(3)); // promoted again: the first time stays
        var outcomes = new OutcomeStoreTable(dataSource);

        // (long?, hours after promotion, covered: null = not matured)
        (bool IsLong, int Hours, bool? Covered)[] decisions =
            [(true, 1, true), (true, 2, false), (true, 30, true), (true, 40, null), (false, 5, false), (true, -2, false), (false, -1, true)];
        var n = 0;
        foreach (var (isLong, hours, covered) in decisions)
        {
            var digest = Hex.Encode(Keccak.Hash($"decision {n++}"));
            await outcomes.RecordAsync(digest, Decision(isLong, PromotedAt.AddHours(hours), models.ModelHash), null, RiskModelSet.LeverageHorizonHours);
            if (covered is { } c)
            {
                Assert.True(await outcomes.MatureAsync(digest, PromotedAt.AddDays(5), c ? 0.01 : 0.2, c, liquidated: false));
            }
        }

        var card = Assert.Single(await cards.ListAsync("BTC-USD"));
        var output = new StringWriter();
        var exit = Cli.Program.Run(["models", "--asset", "BTC-USD", "--postgres", database.ConnectionString], output, TextWriter.Null);

        Assert.Equal((models.ModelHash, PromotedAt), (card.ModelHash, card.PromotedAt));
        Assert.Equal(models.Manifest.TrainedTo, card.Manifest.TrainedTo);
        Assert.Equal(models.Manifest.Metrics, card.Manifest.Metrics);
        Assert.Equal(new SideCoverage(3, 2), card.Long); // the one before promotion and the unmatured one do not count
        Assert.Equal(new SideCoverage(1, 0), card.Short);
        Assert.Empty(await cards.ListAsync("ETH-USD"));
        Assert.Equal(0, exit);
        Assert.Contains($"BTC-USD {models.ModelHash} serving since 2026-03-01 00:00Z: trained on BTC-USD 2021-01-0", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("long 2/3 (66.7", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("short 0/1 (0.0", output.ToString(), StringComparison.Ordinal);
    }

    private static Decision Decision(bool isLong, DateTimeOffset at, string modelHash) => new(
        DecisionKind.Open, Hex.Encode(Keccak.Hash(at.ToString("O"))), "BTC-USD", "0x0000000000000000000000000000000000000007", isLong, 100_000_000, 300_000_000,
        500, 300, 0, 200, 47_000_00000000, (ulong)at.ToUnixTimeSeconds(), 0, (ulong)at.ToUnixTimeSeconds() + 60, modelHash, Hex.Encode(Keccak.Hash("features")));
}
