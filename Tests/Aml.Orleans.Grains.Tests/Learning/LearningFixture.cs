using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Hosting;
using Aml.Orleans.Grains.Outcomes;
using Aml.Orleans.Grains.Storage;
using Aml.Orleans.Grains.Tests.Chain;
using Aml.Orleans.Grains.Tests.Storage;
using Aml.Orleans.Risk;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.TestingHost;

namespace Aml.Orleans.Grains.Tests.Learning;

/// <summary>
/// The learning loop against real parts: one in-process silo whose model, outcome and shadow stores are a real PostgreSQL
/// database, whose model registry is the real contract on anvil (governance delay raised to <see cref="GovernanceDelay"/>,
/// the trainer's proposer holding the admin key), and whose champions are real FastTree sets trained on a calm stretch
/// of each asset's real candles: BTC-USD for the drift watch, ETH-USD for the shadow promotion.
/// </summary>
public sealed class LearningFixture : IAsyncLifetime
{
    /// <summary>The governance delay the contract runs with once the champions are registered.</summary>
    public const ulong GovernanceDelay = 3_600;

    /// <summary>The calm stretch the champions are trained on (2022-07-01 .. 2022-10-15, four weeks of it held for calibration and validation).</summary>
    public static readonly (DateTimeOffset From, DateTimeOffset To) Calm = (new(2022, 7, 1, 0, 0, 0, TimeSpan.Zero), new(2022, 10, 15, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Where the ETH trainer's history starts (a year before its recent window: seconds to train).</summary>
    public static readonly DateTimeOffset RetrainFrom = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The chain.</summary>
    public AnvilChain Chain { get; private set; } = null!;

    /// <summary>The stores' database.</summary>
    public PostgresTestDatabase Database { get; private set; } = null!;

    /// <summary>The cluster.</summary>
    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>A client for grain calls.</summary>
    public IClusterClient Client => Cluster.Client;

    /// <summary>The outcome store (the test records decisions in it as the position grain does).</summary>
    public OutcomeStoreTable Outcomes { get; private set; } = null!;

    /// <summary>The model store.</summary>
    public ModelStoreTable Models { get; private set; } = null!;

    /// <summary>The champions by asset.</summary>
    public Dictionary<string, RiskModelSet> Champions { get; } = new(StringComparer.Ordinal);

    private NpgsqlDataSource _dataSource = null!;

    private string ModelsRoot { get; } = Directory.CreateTempSubdirectory("aml-learning-models-").FullName;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Chain = await AnvilChain.StartAsync();
        Database = await PostgresTestDatabase.CreateAsync();
        await PostgresSchema.MigrateAsync(PostgresSiloBuilderExtensions.NormalizeConnectionString(Database.ConnectionString), CancellationToken.None);
        _dataSource = NpgsqlDataSource.Create(Database.ConnectionString);
        Outcomes = new OutcomeStoreTable(_dataSource);
        Models = new ModelStoreTable(_dataSource);
        foreach (var (asset, file) in (IEnumerable<(string, string)>)[("BTC-USD", "BTCUSDT-1h.csv"), ("ETH-USD", "ETHUSDT-1h.csv")])
        {
            var champion = RiskModelSet.Train(Series(file), Calm.From, Calm.To, new RiskTrainingOptions { Trees = 40 });
            champion.Save(Path.Combine(ModelsRoot, asset));
            await Chain.AllowModelAsync(champion.ModelHash);
            Champions[asset] = champion;
        }

        // Raising the delay applies at once; from now on a registration waits for it.
        await SendAsAdminAsync(MarginManagerGovernance.EncodeSetGovernanceDelay(GovernanceDelay));

        var builder = new InProcessTestClusterBuilder(initialSilosCount: 1);
        var deployment = Chain.Deployment;
        var adminKey = Chain.Key(0);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage("aml");
            silo.UseInMemoryReminderService();
            silo.AddAmlPositionBook(Database.ConnectionString);
            silo.AddAmlGrains(
                positions: p => p.OracleKey = deployment.OracleKey,
                catalog: c => c.Markets = deployment.Catalog(),
                risk: r => r.ModelsRoot = ModelsRoot,
                trainer: t =>
                {
                    t.History["ETH-USD"] = [TestModels.DataFile("ETHUSDT-1h.csv")];
                    t.HistoryFrom = RetrainFrom;
                    t.Training = new RiskTrainingOptions { Trees = 20 };
                });
            // The registry and the proposer alone: these tests relay no decisions.
            silo.Services.AddSingleton(deployment);
            silo.Services.AddOptions<OracleOptions>();
            silo.Services.AddSingleton<ChainContext>();
            silo.Services.AddSingleton<global::Aml.Orleans.Grains.Risk.IModelRegistry, ChainModelRegistry>();
            silo.AddAmlModelProposer(adminKey);
        });
        builder.ConfigureClient(client => client.Configure<global::Orleans.Configuration.ClientMessagingOptions>(o => o.ResponseTimeout = ClusterFixture.LongCallTimeout));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        await _dataSource.DisposeAsync();
        await Database.DisposeAsync();
        await Chain.DisposeAsync();
        Directory.Delete(ModelsRoot, recursive: true);
    }

    /// <summary>An asset's hourly candles from data/market.</summary>
    public static CandleSeries Series(string file) => CandleLoader.Load(TestModels.DataFile(file));

    /// <summary>Moves anvil's clock past <paramref name="seconds"/> and mines a block at the new time.</summary>
    public async Task AdvanceChainAsync(ulong seconds)
    {
        await Chain.Rpc.RequestAsync("evm_increaseTime", [seconds]);
        await Chain.MineAsync();
    }

    private async Task SendAsAdminAsync(byte[] calldata)
    {
        var sender = new Ethereum.Rpc.TransactionSender(Chain.Rpc);
        await sender.SendAndWaitAsync(await sender.SignEip1559Async(Chain.Signer(0), Address.Parse(Chain.Deployment.MarginManager), calldata));
    }
}

/// <summary>The collection that shares <see cref="LearningFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class LearningCollection : ICollectionFixture<LearningFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "learning";
}
