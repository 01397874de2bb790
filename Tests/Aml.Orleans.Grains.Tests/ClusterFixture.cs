using Aml.Orleans.Grains.Hosting;
using Aml.Orleans.Grains.Storage;
using Aml.Orleans.Grains.Tests.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Aml.Orleans.Grains.Tests;

/// <summary>
/// One in-process silo for the grain tests, with memory grain storage and a fake clock; the market book shards keep
/// their rows in a real PostgreSQL database of their own (the book is a table, not grain state). Tests use fresh grain
/// keys so they stay independent while sharing the cluster.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    /// <summary>The clock grains see; tests advance it instead of sleeping.</summary>
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The running cluster.</summary>
    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>The database holding the book shards' rows.</summary>
    public PostgresTestDatabase Database { get; private set; } = null!;

    /// <summary>A client for grain calls.</summary>
    public IClusterClient Client => Cluster.Client;

    /// <summary>Where the test model sets live: <c>{root}/{asset}</c>.</summary>
    public string ModelsRoot { get; } = Directory.CreateTempSubdirectory("aml-grain-models-").FullName;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        TestModels.TrainBtc().Save(Path.Combine(ModelsRoot, "BTC-USD"));
        Database = await PostgresTestDatabase.CreateAsync();
        await PostgresSchema.MigrateAsync(PostgresSiloBuilderExtensions.NormalizeConnectionString(Database.ConnectionString), CancellationToken.None);
        var builder = new InProcessTestClusterBuilder(initialSilosCount: 1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage("aml");
            silo.UseInMemoryReminderService();
            silo.AddAmlPositionBook(Database.ConnectionString);
            silo.Services.AddSingleton<TimeProvider>(Time);
            silo.AddAmlGrains(
                positions: p => p.OracleKey = "6343:0x0000000000000000000000000000000000000000",
                catalog: c => c.Markets = TestModels.Catalog(),
                risk: r => r.ModelsRoot = ModelsRoot,
                trainer: t =>
                {
                    t.History["ETH-USD"] = [TestModels.DataFile("ETHUSDT-1h.csv")];
                    t.HistoryFrom = new DateTimeOffset(2023, 1, 1, 0, 0, 0, TimeSpan.Zero);
                    t.Training = new Aml.Orleans.Risk.RiskTrainingOptions { Trees = 20 };
                });
        });
        builder.ConfigureClient(client => client.Configure<global::Orleans.Configuration.ClientMessagingOptions>(o => o.ResponseTimeout = LongCallTimeout));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>
    /// How long a test's call may take: a retrain trains FastTree sets inside one call (6.6 s in a full CI run), which
    /// went past Orleans' default 30 s on two cores at a load of 32. The call still returns as soon as it is done.
    /// </summary>
    public static TimeSpan LongCallTimeout { get; } = TimeSpan.FromMinutes(2);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Database.DisposeAsync();
        Directory.Delete(ModelsRoot, recursive: true);
    }

    /// <summary>Gives the BTC-USD market the closed candles its features need (once per cluster).</summary>
    public async Task FeedBtcMarketAsync()
    {
        var market = Client.GetGrain<Aml.Orleans.Grains.Interfaces.IMarketGrain>("BTC-USD");
        if (await market.GetFeaturesAsync() is not null)
        {
            return;
        }

        foreach (var candle in TestModels.CandlesAfterTraining(Aml.Orleans.Risk.FeatureWindow.WarmUp + 10))
        {
            Assert.True((await market.CloseCandleAsync(candle)).Accepted);
        }
    }

    /// <summary>Polls <paramref name="probe"/> until it holds; grain-to-grain one-way calls land asynchronously.</summary>
    /// <remarks>
    /// The wait ends as soon as the condition holds: the bound (<paramref name="seconds"/>) only decides how late a
    /// condition that never comes is reported. It leaves room for a 2-core CI machine that runs the suites (several
    /// clusters, chains and PostgreSQL servers in one process) while other work is on it: what takes a second on a
    /// quiet machine took tens of seconds on the shared one at a load of 40.
    /// </remarks>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"timed out waiting for {what}; last value: {value}");
            }

            await Task.Yield();
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Like <see cref="EventuallyAsync{T}"/> while a silo has just died: calls routed to it fail until membership
    /// declares it dead and the grain re-activates elsewhere, so Orleans' transport errors count as "not yet".
    /// </summary>
    public static Task<T> EventuallyAfterFailoverAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, int seconds = 60) =>
        EventuallyAsync(
            async () =>
            {
                try
                {
                    return (Ok: true, Value: await probe());
                }
                catch (Exception ex) when (ex is OrleansException or TimeoutException)
                {
                    return (Ok: false, Value: default(T)!);
                }
            },
            r => r.Ok && done(r.Value),
            what,
            seconds).ContinueWith(t => t.Result.Value, TaskScheduler.Default);
}

/// <summary>The collection that shares <see cref="ClusterFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "cluster";
}
