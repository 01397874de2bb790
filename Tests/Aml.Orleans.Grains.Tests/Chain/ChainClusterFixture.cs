using System.Security.Cryptography;
using Aml.Orleans.Client;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Hosting;
using Aml.Orleans.Grains.Interfaces;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;
using Aml.Orleans.Grains.Storage;
using Aml.Orleans.Grains.Tests.Storage;
using Orleans.Core.Internal;
using Orleans.TestingHost;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>
/// The engine against the real parts: two in-process silos whose grain state and reminders live in a real
/// PostgreSQL database, and whose oracle and indexer talk to a real anvil holding the real contracts. Real time.
/// </summary>
public sealed class ChainClusterFixture : IAsyncLifetime
{
    /// <summary>A model hash registered on-chain for the decisions these tests make by hand.</summary>
    public static readonly string TestModelHash = Hex.Encode(Keccak.Hash("aml-test-model"));

    private readonly TickClock _ticks = new();

    /// <summary>The chain.</summary>
    public AnvilChain Chain { get; private set; } = null!;

    /// <summary>The grain database.</summary>
    public PostgresTestDatabase Database { get; private set; } = null!;

    /// <summary>The cluster.</summary>
    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>A client for grain calls.</summary>
    public IClusterClient Client => Cluster.Client;

    /// <summary>The oracle of the deployment.</summary>
    public IOracleGrain Oracle => Client.GetGrain<IOracleGrain>(Chain.Deployment.OracleKey);

    /// <summary>The BTC model set the risk grain serves (registered on-chain).</summary>
    public string BtcModelHash { get; private set; } = "";

    private string ModelsRoot { get; } = Directory.CreateTempSubdirectory("aml-chain-models-").FullName;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Chain = await AnvilChain.StartAsync();
        await Chain.AllowModelAsync(TestModelHash);
        var btc = TestModels.TrainBtc();
        btc.Save(Path.Combine(ModelsRoot, "BTC-USD"));
        BtcModelHash = btc.ModelHash;
        await Chain.AllowModelAsync(BtcModelHash);
        Database = await PostgresTestDatabase.CreateAsync();
        await PostgresSchema.MigrateAsync(PostgresSiloBuilderExtensions.NormalizeConnectionString(Database.ConnectionString), CancellationToken.None);

        var builder = new InProcessTestClusterBuilder(initialSilosCount: 2);
        var deployment = Chain.Deployment;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddAmlPostgresStorage(Database.ConnectionString, applyMigrations: false);
            silo.AddActivityPropagation();
            silo.AddAmlGrains(
                positions: p =>
                {
                    p.OracleKey = deployment.OracleKey;
                    p.RetryInterval = TimeSpan.FromSeconds(1);
                },
                catalog: c => c.Markets = deployment.Catalog(),
                risk: r => r.ModelsRoot = ModelsRoot);
            silo.AddAmlChain(deployment, o =>
            {
                for (var i = 1; i <= 5; i++)
                {
                    o.SignerKeys.Add(Chain.Key(i));
                }

                o.RelayerKey = Chain.Key(10);
                o.PollInterval = TimeSpan.FromMilliseconds(100);
                o.GuardRefreshInterval = TimeSpan.FromMilliseconds(200);
            }, Database.ConnectionString);
        });
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

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        if (Chain is not null)
        {
            await Chain.DisposeAsync();
        }

        Directory.Delete(ModelsRoot, recursive: true);
    }

    /// <summary>A fresh position id (bytes32).</summary>
    public static string NewPositionId() => Hex.Encode(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// Opens a position on-chain through the oracle the way a quote does: an OPEN decision at <paramref name="priceE8"/>,
    /// signed by the trader (dev key <paramref name="traderIndex"/>) and relayed.
    /// </summary>
    public async Task<(string PositionId, DecisionAudit Audit)> OpenAsync(
        string asset, int traderIndex, bool isLong, long collateral, uint leverageX100, uint maintenanceBps, long priceE8)
    {
        var positionId = NewPositionId();
        var trader = Chain.Signer(traderIndex);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var decision = new Decision(
            DecisionKind.Open, positionId, asset, trader.Address.ToString(), isLong, collateral, collateral * leverageX100 / 100,
            Math.Max(leverageX100, 100u), maintenanceBps, 0, 1_000, priceE8, (ulong)now, 0, (ulong)now + 60,
            TestModelHash, Hex.Encode(Keccak.Hash(positionId)));
        var digest = await Oracle.GetDigestAsync(decision);
        var signature = Hex.Encode(trader.SignHash(Hex.Decode(digest)).ToRsv());
        return (positionId, await Oracle.SubmitAsync(decision, signature));
    }

    /// <summary>Gives <paramref name="asset"/>'s market the closed candles its features need, unless it has them (once per cluster).</summary>
    public async Task EnsureFeaturesAsync(string asset)
    {
        var market = Client.GetGrain<IMarketGrain>(asset);
        if (await market.GetFeaturesAsync() is null)
        {
            foreach (var candle in TestModels.CandlesAfterTraining(Aml.Orleans.Risk.FeatureWindow.WarmUp + 5))
            {
                await market.CloseCandleAsync(candle);
            }
        }
    }

    /// <summary>
    /// The trader's CLOSE as the trader's wallet sends it: the oracle's signed close of <paramref name="close"/> in a
    /// <c>closePosition</c> transaction from dev key <paramref name="traderIndex"/>; returns the receipt.
    /// </summary>
    public async Task<Ethereum.Rpc.TransactionReceipt> CloseFromTheWalletAsync(SignedDecision close, int traderIndex)
    {
        ArgumentNullException.ThrowIfNull(close);
        var quorum = new Quorum(
            System.Numerics.BigInteger.Parse("0" + close.SignerBitmap[2..], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture),
            Hex.Decode(close.Signatures));
        using var chain = new global::Aml.Orleans.Grains.Chain.ChainContext(Chain.Deployment, Microsoft.Extensions.Options.Options.Create(new global::Aml.Orleans.Grains.Chain.OracleOptions()));
        var sender = new Ethereum.Rpc.TransactionSender(Chain.Rpc);
        return await sender.SendAndWaitAsync(await sender.SignEip1559Async(
            Chain.Signer(traderIndex), Address.Parse(Chain.Deployment.MarginManager), MarginManagerAbi.EncodeClosePosition(chain.ToChain(close.Decision), quorum)));
    }

    /// <summary>Waits until the wall clock has caught up with the chain's (see <see cref="AnvilChain.WaitForClockAsync"/>).</summary>
    public Task WaitForChainClockAsync() => Chain.WaitForClockAsync();

    /// <summary>
    /// Moves <paramref name="asset"/>'s market to <paramref name="priceE8"/> whatever another suite left it at: a jump
    /// beyond the outlier limit is held until a second tick confirms it, as a real feed's next print would.
    /// </summary>
    public async Task MoveMarketAsync(string asset, long priceE8)
    {
        if ((await TickAsync(asset, priceE8)).Rejection == TickRejection.UnconfirmedJump)
        {
            Assert.True((await TickAsync(asset, priceE8)).Accepted, $"{asset} did not confirm {priceE8}");
        }
    }

    /// <summary>
    /// Sends a tick to <paramref name="asset"/>'s market at the next tick time, after publishing the price to the
    /// market's price feed (as the dev replay does, the independent feed agrees with the market before the engine acts).
    /// </summary>
    public async Task<TickOutcome> TickAsync(string asset, long priceE8, bool publishToFeed = true)
    {
        if (publishToFeed)
        {
            await Chain.SetFeedPriceAsync(asset, priceE8);
        }

        return await Client.GetGrain<IMarketGrain>(asset).SubmitTickAsync(new MarketTick(priceE8, _ticks.Next()));
    }

    /// <summary>The market's price, after moving it to 2,000 USD when it has none yet.</summary>
    public async Task<long> MarkAsync(string asset)
    {
        var (price, _) = await Client.GetGrain<IMarketGrain>(asset).GetPriceAsync();
        if (price > 0)
        {
            return price;
        }

        await MoveMarketAsync(asset, 2_000_00000000);
        return 2_000_00000000;
    }

    /// <summary>The ids of the position grains active in the cluster now.</summary>
    public async Task<HashSet<string>> ActivePositionsAsync()
    {
        var type = Client.GetGrain<IPositionGrain>(NewPositionId()).GetGrainId().Type;
        var active = await Client.GetGrain<IManagementGrain>(0).GetActiveGrains(type);
        return active.Select(g => g.Key.ToString()!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The silo that hosts <paramref name="grain"/>'s activation now.</summary>
    public async Task<InProcessSiloHandle> HostOfAsync(IAddressable grain)
    {
        var host = await Client.GetGrain<IManagementGrain>(0).GetActivationAddress(grain);
        return Cluster.Silos.Single(s => s.SiloAddress.Equals(host));
    }

    /// <summary>What a fault test leaves for the next one: the chain mining on demand and two silos.</summary>
    public async Task RestoreAfterFaultAsync()
    {
        await Chain.SetAutomineAsync(true);
        while (Cluster.Silos.Count < 2)
        {
            await Cluster.StartAdditionalSiloAsync();
        }
    }

    /// <summary>The position as the contract holds it.</summary>
    public async Task<Ethereum.PositionView> ChainPositionAsync(string positionId)
    {
        var contract = new MarginManagerClient(Chain.Rpc, Address.Parse(Chain.Deployment.MarginManager));
        return await contract.GetPositionAsync(Bytes32.Parse(positionId));
    }
}

/// <summary>The collection sharing one chain, database and cluster (the chain suites run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class ChainClusterCollection : ICollectionFixture<ChainClusterFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "chain cluster";
}
