using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Storage;
using Aml.Orleans.Risk;
using Npgsql;

namespace Aml.Orleans.Grains.Tests.Storage;

/// <summary>The model store on real PostgreSQL: content-addressed, idempotent, tamper-evident, and what silos serve from.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ModelStoreTests(ClusterFixture fixture)
{
    private static readonly Lazy<RiskModelSet> Small = new(() => TestModels.TrainBtc(trees: 5));

    [Fact]
    public async Task PublishAsync_SameSetTwice_OneRowAndLoadedBackWithTheSameHashAndFiles()
    {
        await using var database = await MigratedAsync();
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var store = new ModelStoreTable(dataSource);
        var models = Small.Value;

        Assert.True(await store.PublishAsync(models));
        Assert.False(await store.PublishAsync(models));

        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM aml_model_set"));
        Assert.Equal(7L, await database.ScalarAsync<long>("SELECT count(*) FROM aml_model_file"));
        var loaded = await store.LoadAsync(models.ModelHash);
        Assert.NotNull(loaded);
        Assert.Equal(models.ModelHash, loaded.ModelHash);
        Assert.Equal(models.ToFiles().OrderBy(f => f.Key), loaded.ToFiles().OrderBy(f => f.Key), new FileComparer());
        var listed = Assert.Single(await store.ListAsync("BTC-USD"));
        Assert.Equal((models.ModelHash, models.Manifest.TrainedTo), (listed.ModelHash, listed.TrainedTo));
        Assert.Null(await store.LoadAsync(Hex.Encode(new byte[32])));
    }

    [Fact]
    public async Task LoadAsync_AFileAlteredInTheDatabase_RefusedNamingTheStoredHash()
    {
        await using var database = await MigratedAsync();
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var store = new ModelStoreTable(dataSource);
        await store.PublishAsync(Small.Value);
        var models = Small.Value;

        await database.ExecuteAsync("UPDATE aml_model_file SET content = content || '\\x00'::bytea WHERE name = 'calibration.json'");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => store.LoadAsync(models.ModelHash));
        Assert.Contains($"model store {models.ModelHash}", error.Message, StringComparison.Ordinal);
        Assert.Contains("altered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_NotAHash_RefusedNamingTheField()
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Database.ConnectionString);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => new ModelStoreTable(dataSource).LoadAsync("0x1234"));
        Assert.StartsWith("modelHash:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RiskGrain_ServesFromTheFolder_PublishesTheSetAndServesItByHash()
    {
        var risk = fixture.Client.GetGrain<IRiskGrain>("BTC-USD");
        var served = await risk.GetModelAsync();
        await using var dataSource = NpgsqlDataSource.Create(fixture.Database.ConnectionString);
        var store = new ModelStoreTable(dataSource);

        var stored = await store.LoadAsync(served.ModelHash);
        Assert.NotNull(stored);

        var byHash = await risk.UseStoredModelAsync(served.ModelHash);
        Assert.Equal(served.ModelHash, byHash.ModelHash);
        Assert.Equal($"model store {served.ModelHash}", byHash.Directory);
        var missing = Hex.Encode(Keccak.Hash("no such set"u8));
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => risk.UseStoredModelAsync(missing));
        Assert.StartsWith($"modelHash: {missing} is not in the model store", refused.Message, StringComparison.Ordinal);
        Assert.Equal(served.ModelHash, (await risk.GetModelAsync()).ModelHash);
    }

    [Fact]
    public async Task TrainVerb_Publish_StoresTheSetOnceAndSaysSoTheSecondTime()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var directory = Directory.CreateTempSubdirectory("aml-publish-").FullName;
        try
        {
            string[] args = ["train", "--data", TestModels.DataFile("BTCUSDT-1h.csv"), "--from", "2021-06-01", "--to", "2022-01-01", "--trees", "5",
                "--out", directory, "--publish", "--postgres", database.ConnectionString];
            var (first, second) = (new StringWriter(), new StringWriter());

            Assert.Equal(0, Aml.Orleans.Cli.Program.Run(args, first, TextWriter.Null));
            Assert.Equal(0, Aml.Orleans.Cli.Program.Run(args, second, TextWriter.Null));

            var hash = RiskModelSet.Load(directory).ModelHash;
            Assert.Contains($"model set {hash}", first.ToString(), StringComparison.Ordinal);
            Assert.Contains("; published to the model store", first.ToString(), StringComparison.Ordinal);
            Assert.Contains("; already in the model store", second.ToString(), StringComparison.Ordinal);
            Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM aml_model_set WHERE model_hash = @h", ("h", Hex.Decode(hash))));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void TrainVerb_PublishWithoutADatabase_RefusedNamingTheFlag()
    {
        var previous = Environment.GetEnvironmentVariable("ConnectionStrings__Postgres");
        var error = new StringWriter();
        try
        {
            Environment.SetEnvironmentVariable("ConnectionStrings__Postgres", null);
            Assert.Equal(2, Aml.Orleans.Cli.Program.Run(["train", "--data", TestModels.DataFile("BTCUSDT-1h.csv"), "--out", "unused", "--publish"], TextWriter.Null, error));
        }
        finally
        {
            Environment.SetEnvironmentVariable("ConnectionStrings__Postgres", previous);
        }

        Assert.StartsWith("aml: --postgres <connection string>", error.ToString(), StringComparison.Ordinal);
    }

    private static async Task<PostgresTestDatabase> MigratedAsync()
    {
        var database = await PostgresTestDatabase.CreateAsync();
        await PostgresSchema.MigrateAsync(PostgresSiloBuilderExtensions.NormalizeConnectionString(database.ConnectionString), CancellationToken.None);
        return database;
    }

    private sealed class FileComparer : IEqualityComparer<KeyValuePair<string, byte[]>>
    {
        public bool Equals(KeyValuePair<string, byte[]> x, KeyValuePair<string, byte[]> y) => x.Key == y.Key && x.Value.AsSpan().SequenceEqual(y.Value);

        public int GetHashCode(KeyValuePair<string, byte[]> obj) => obj.Key.GetHashCode(StringComparison.Ordinal);
    }
}
