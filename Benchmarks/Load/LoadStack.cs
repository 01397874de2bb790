using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Positions;
using Aml.Orleans.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Storage;
using Orleans.Serialization;

namespace Aml.Orleans.Benchmarks.Load;

/// <summary>
/// The harness's ends of the running system: an Orleans client of the silo (the way a price feed reaches markets), the
/// chain through the engine's own <see cref="ChainContext"/> with the dev keys, and the silo process for its memory.
/// </summary>
internal sealed class LoadStack : IAsyncDisposable
{
    private NpgsqlDataSource? _dataSource;

    /// <summary>Anvil accounts as <c>./aml deploy</c> assigns them (scripts/verbs/deploy.sh).</summary>
    public static readonly int[] TraderAccounts = [6, 7, 8];

    /// <summary>
    /// The dev price feeds' updater, as <c>./aml deploy</c> names it. The bench's silo replays nothing, so the harness is
    /// the feeds' only publisher: it moves a market's feed with the market, as the replay does in <c>./aml run</c>.
    /// </summary>
    public const int FeedUpdaterAccount = 11;

    /// <summary>
    /// The harness's own relayer: neither the silo's (account 10) nor the feeds' updater (11), so that no two senders
    /// share a nonce sequence. Anvil funds accounts 0..11 only; the harness funds this one (anvil_setBalance).
    /// </summary>
    public const int HarnessRelayerAccount = 12;

    /// <summary>The dev accounts the harness needs keys for (0..12, derived from the public anvil mnemonic).</summary>
    public const int DevAccounts = 13;

    private static readonly BigInteger RelayerFunding = BigInteger.Pow(10, 21); // 1,000 ETH of gas money

    private readonly IHost _client;

    private LoadStack(LoadSettings settings, IHost client, ChainContext chain)
    {
        Settings = settings;
        _client = client;
        Chain = chain;
    }

    public LoadSettings Settings { get; }

    /// <summary>Grain calls into the silo.</summary>
    public IClusterClient Grains => _client.Services.GetRequiredService<IClusterClient>();

    /// <summary>The deployment with the oracle's signer keys and the harness's relayer.</summary>
    public ChainContext Chain { get; }

    /// <summary>Dev account <paramref name="index"/>'s key.</summary>
    public LocalKeySigner Account(int index) => LocalKeySigner.FromHex(Settings.DevKeys[index]);

    /// <summary>Connects to the silo (PostgreSQL membership) and the chain.</summary>
    public static async Task<LoadStack> ConnectAsync(LoadSettings settings)
    {
        var deployment = Deployment.Load(settings.DeploymentFile);
        var oracle = new OracleOptions { RelayerKey = settings.DevKeys[HarnessRelayerAccount] };
        for (var i = 1; i <= 5; i++)
        {
            oracle.SignerKeys.Add(settings.DevKeys[i]);
        }

        var client = new HostBuilder()
            .UseOrleansClient(c => c
                .UseAmlPostgres(settings.PostgresConnection)
                .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (settings.ClusterId, settings.ServiceId)))
            .Build();
        await client.StartAsync();
        var chain = new ChainContext(deployment, Options.Create(oracle));
        var relayer = LocalKeySigner.FromHex(settings.DevKeys[HarnessRelayerAccount]).Address;
        await chain.Rpc.RequestAsync("anvil_setBalance", [relayer.ToString(), Quantity.Encode(RelayerFunding)]);
        return new LoadStack(settings, client, chain);
    }

    /// <summary>
    /// Publishes <paramref name="priceE8"/> to <paramref name="asset"/>'s price feed (8 decimals, as the engine's prices)
    /// with the feeds' updater key: the contract refuses decisions more than the market's deviation away from its feed.
    /// </summary>
    public async Task SetFeedPriceAsync(string asset, long priceE8)
    {
        var feed = Chain.Deployment.Markets[asset].Limits?.PriceFeed ?? throw new InvalidOperationException($"{asset} has no price feed");
        var tx = await Chain.Sender.SignEip1559Async(Account(FeedUpdaterAccount), Address.Parse(feed), MockPriceFeedAbi.EncodeUpdateAnswer(priceE8));
        await Chain.Sender.SendAndWaitAsync(tx);
    }

    /// <summary>The silo process's resident memory in bytes (Linux /proc).</summary>
    public long SiloResidentBytes()
    {
        var status = File.ReadAllLines($"/proc/{Settings.SiloPid}/status");
        var line = status.First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var kib = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return kib * 1024;
    }

    /// <summary>CPU time the silo process has used so far (user + system, from /proc/PID/stat).</summary>
    public TimeSpan SiloCpuTime()
    {
        // Fields after the command name, which is parenthesised and may hold spaces: utime and stime are the 12th and 13th.
        var stat = File.ReadAllText($"/proc/{Settings.SiloPid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
    }

    /// <summary>USER_HZ: Linux reports process times in 1/100 s on every architecture .NET runs on.</summary>
    private const int ClockTicksPerSecond = 100;

    /// <summary>Waits until the wall clock has passed the newest block's time (anvil moves a second per block).</summary>
    public async Task WaitForChainClockAsync()
    {
        var head = await Chain.Rpc.GetBlockAsync("latest");
        var waited = Stopwatch.StartNew();
        while ((ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() <= head.Timestamp)
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(1) && waited.Elapsed.TotalSeconds % 10 < 0.05)
            {
                Progress.Say($"waiting {head.Timestamp - (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds()} s for the wall clock to reach the chain's");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The stack's PostgreSQL, where the silo keeps grain state, book rows and the oracle's audit.</summary>
    public NpgsqlDataSource Database =>
        _dataSource ??= NpgsqlDataSource.Create(PostgresSiloBuilderExtensions.NormalizeConnectionString(Settings.PostgresConnection));

    /// <summary>
    /// The bulk path the indexer's first sync uses, from outside the silo: grain state into the stack's PostgreSQL in the
    /// silo's own storage format (its service id, the System.Text.Json grain storage serializer it is configured with,
    /// its default position options), book rows through the silo's shards.
    /// </summary>
    public PositionSeeder Seeder()
    {
        var serializer = new SystemTextJsonGrainStorageSerializer(Options.Create(new SystemTextJsonGrainStorageSerializerOptions()));
        return new PositionSeeder(Grains, new PositionStateTable(Database, serializer, Settings.ServiceId), new PositionOptions(), TimeProvider.System);
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        await _client.StopAsync();
        _client.Dispose();
        Chain.Dispose();
    }
}

/// <summary>Progress lines on stderr: long phases say where they are.</summary>
internal static class Progress
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    public static void Say(string message) =>
        Console.Error.WriteLine($"[{Clock.Elapsed:mm\\:ss}] {message}");
}
