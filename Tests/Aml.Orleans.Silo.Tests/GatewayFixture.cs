using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Aml.Orleans.Client;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Storage;
using Aml.Orleans.Grains.Tests;
using Aml.Orleans.Grains.Tests.Chain;
using Aml.Orleans.Grains.Tests.Storage;
using Aml.Orleans.Protos;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Aml.Orleans.Silo.Tests;

/// <summary>
/// The real thing over real sockets: the silo host started as its own process (as <c>./aml run</c> starts it) on
/// PostgreSQL, with the contracts on anvil and a registered model set, and a gRPC channel to its gateway. Prices
/// come in through an Orleans client, the way a feed adapter delivers them.
/// </summary>
public class GatewayFixture : IAsyncLifetime
{
    private readonly int _siloCount;
    private readonly string _directory = Directory.CreateTempSubdirectory("aml-gateway-").FullName;
    private readonly List<Process> _silos = [];
    private IHost? _feedHost;
    private readonly TickClock _ticks = new();

    /// <summary>One silo, the gateway suites' shape.</summary>
    public GatewayFixture()
        : this(1)
    {
    }

    /// <summary>
    /// A cluster of <paramref name="silos"/> silo processes sharing PostgreSQL membership; with
    /// <paramref name="ownDatabaseServer"/> on a PostgreSQL server of its own that the tests may stop and start.
    /// </summary>
    protected GatewayFixture(int silos, bool ownDatabaseServer = false) => (_siloCount, _ownDatabaseServer) = (silos, ownDatabaseServer);

    private readonly bool _ownDatabaseServer;

    /// <summary>The database server of its own, when asked for one.</summary>
    public PostgresServer? DatabaseServer { get; private set; }

    public AnvilChain Chain { get; private set; } = null!;

    public PostgresTestDatabase Database { get; private set; } = null!;

    /// <summary>The cuttable link between the silos and anvil (the tests themselves talk to anvil directly).</summary>
    public TcpProxy ChainLink { get; private set; } = null!;

    /// <summary>A channel to the first silo's gateway.</summary>
    public GrpcChannel Channel => Channels[0];

    /// <summary>A channel to each silo's gateway.</summary>
    public List<GrpcChannel> Channels { get; } = [];

    /// <summary>The silo processes, in start order.</summary>
    public IReadOnlyList<Process> Silos => _silos;

    /// <summary>An Orleans client of the silo, standing in for the price feed.</summary>
    public IClusterClient Feed { get; private set; } = null!;

    public string LogFile => Path.Combine(_directory, "silo-0.log");

    /// <summary>
    /// What a frontend configures: calls the gateway answers UNAVAILABLE (the cluster cannot serve them yet, e.g. while
    /// silos join or leave) are retried with backoff; every other status reaches the caller at once.
    /// </summary>
    private static readonly ServiceConfig RetryUnavailable = new()
    {
        MethodConfigs =
        {
            new MethodConfig
            {
                Names = { MethodName.Default },
                RetryPolicy = new RetryPolicy
                {
                    MaxAttempts = 5,
                    InitialBackoff = TimeSpan.FromMilliseconds(200),
                    MaxBackoff = TimeSpan.FromSeconds(2),
                    BackoffMultiplier = 2,
                    RetryableStatusCodes = { StatusCode.Unavailable },
                },
            },
        },
    };

    /// <summary>The silo's trader-facing HTTP/1.1 endpoint (web app, REST, gRPC-Web, health).</summary>
    public Uri HttpBase { get; private set; } = null!;

    /// <summary>The first silo's admin port: what the HTTP port serves plus metrics, the dashboard and the admin session cookie.</summary>
    public Uri AdminBase { get; private set; } = null!;

    /// <summary>The HMAC key every silo signs tokens with (the tests forge expired ones with it).</summary>
    public byte[] AuthSigningKey { get; private set; } = [];

    /// <summary>The first silo's gRPC endpoint, as the CLI's <c>--gateway</c> takes it.</summary>
    public Uri GatewayUrl { get; private set; } = null!;

    /// <summary>The browser origin the gateway allows (CORS), as the web app's dev server has it.</summary>
    public const string DevOrigin = "http://localhost:5173";

    /// <summary>The per-wallet budgets the gateway gets here; per IP (every test shares 127.0.0.1) it is generous.</summary>
    public const int QuotesPerWalletPerMinute = 40;

    /// <inheritdoc cref="QuotesPerWalletPerMinute" />
    public const int SignInsPerWalletPerMinute = 30;

    /// <summary>Sign-ins per client address: the per-address test spends it from 127.0.0.2, the other tests come from 127.0.0.1.</summary>
    public const int SignInsPerAddressPerMinute = 200;

    private readonly Dictionary<int, Metadata> _signedIn = [];

    public async Task InitializeAsync()
    {
        Chain = await AnvilChain.StartAsync();
        if (_ownDatabaseServer)
        {
            DatabaseServer = await PostgresServer.StartAsync();
        }

        Database = await PostgresTestDatabase.CreateAsync(DatabaseServer?.ConnectionString);
        var models = Path.Combine(_directory, "models");
        var btc = TestModels.TrainBtc();
        btc.Save(Path.Combine(models, "BTC-USD"));
        await Chain.AllowModelAsync(btc.ModelHash);

        // The silos reach the chain through a proxy the fault tests can cut.
        ChainLink = new TcpProxy(Chain.Url.Port);
        var siloDeployment = Path.Combine(_directory, "deployment.json");
        File.WriteAllText(siloDeployment, File.ReadAllText(Chain.DeploymentFile).Replace(
            $"\"rpcUrl\": \"{Chain.Url.ToString().TrimEnd('/')}\"", $"\"rpcUrl\": \"http://127.0.0.1:{ChainLink.Port}\"", StringComparison.Ordinal));
        if (!File.ReadAllText(siloDeployment).Contains($":{ChainLink.Port}", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"could not point the deployment file's rpcUrl at the proxy: {File.ReadAllText(Chain.DeploymentFile)}");
        }

        var clusterId = "aml-gateway-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        AuthSigningKey = RandomNumberGenerator.GetBytes(32);
        var signingKey = Convert.ToBase64String(AuthSigningKey);
        for (var silo = 0; silo < _siloCount; silo++)
        {
            var grpcPort = TestNet.FreePort();
            var httpPort = TestNet.FreePort();
            var adminPort = TestNet.FreePort();
            var environment = new Dictionary<string, string>
            {
                ["ConnectionStrings__Postgres"] = Database.ConnectionString,
                ["ORLEANS_CLUSTER_ID"] = clusterId,
                ["ORLEANS_SERVICE_ID"] = "aml-gateway-tests",
                ["Aml__GrpcPort"] = grpcPort.ToString(CultureInfo.InvariantCulture),
                ["Aml__HttpPort"] = httpPort.ToString(CultureInfo.InvariantCulture),
                ["Aml__AdminPort"] = adminPort.ToString(CultureInfo.InvariantCulture),
                ["Aml__SiloPort"] = TestNet.FreePort().ToString(CultureInfo.InvariantCulture),
                ["Aml__GatewayPort"] = TestNet.FreePort().ToString(CultureInfo.InvariantCulture),
                ["Aml__Chain__DeploymentFile"] = siloDeployment,
                ["Aml__Chain__GuardianKey"] = Chain.Key(9),
                ["Aml__Chain__AdminKey"] = Chain.Key(0),
                ["Aml__Oracle__RelayerKey"] = Chain.Key(10),
                ["Aml__Risk__ModelsRoot"] = models,
                ["Aml__Auth__SigningKey"] = signingKey, // shared: a token from one silo's gateway is good on every other
                ["Aml__Web__DevOrigin"] = DevOrigin,
                ["Aml__RateLimits__SignInsPerWallet"] = SignInsPerWalletPerMinute.ToString(CultureInfo.InvariantCulture),
                ["Aml__RateLimits__QuotesPerWallet"] = QuotesPerWalletPerMinute.ToString(CultureInfo.InvariantCulture),
                ["Aml__RateLimits__OpensPerWallet"] = "20",
                ["Aml__RateLimits__SignInsPerAddress"] = SignInsPerAddressPerMinute.ToString(CultureInfo.InvariantCulture),
                ["Aml__RateLimits__QuotesPerAddress"] = "100000",
                ["Aml__RateLimits__OpensPerAddress"] = "100000",
            };
            for (var i = 0; i < 5; i++)
            {
                environment[$"Aml__Oracle__SignerKeys__{i}"] = Chain.Key(i + 1);
            }

            var process = StartSilo(environment, Path.Combine(_directory, $"silo-{silo}.log"));
            _silos.Add(process);
            await WaitReadyAsync(process, httpPort, Path.Combine(_directory, $"silo-{silo}.log"));
            if (silo == 0)
            {
                HttpBase = new Uri($"http://127.0.0.1:{httpPort}");
                AdminBase = new Uri($"http://127.0.0.1:{adminPort}");
                GatewayUrl = new Uri($"http://127.0.0.1:{grpcPort}");
            }

            Channels.Add(GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}", new GrpcChannelOptions { ServiceConfig = RetryUnavailable }));
        }

        _feedHost = new HostBuilder()
            .UseOrleansClient(client => client
                .UseAmlPostgres(Database.ConnectionString)
                .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, "aml-gateway-tests")))
            .Build();
        await _feedHost.StartAsync();
        Feed = _feedHost.Services.GetRequiredService<IClusterClient>();
    }

    public async Task DisposeAsync()
    {
        if (_feedHost is not null)
        {
            await _feedHost.StopAsync();
            _feedHost.Dispose();
        }

        foreach (var channel in Channels)
        {
            channel.Dispose();
        }

        foreach (var silo in _silos)
        {
            if (!silo.HasExited)
            {
                silo.Kill(entireProcessTree: true);
                await silo.WaitForExitAsync();
            }

            silo.Dispose();
        }
        if (ChainLink is not null)
        {
            await ChainLink.DisposeAsync();
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        if (DatabaseServer is not null)
        {
            await DatabaseServer.DisposeAsync();
        }

        if (Chain is not null)
        {
            await Chain.DisposeAsync();
        }

        if (Environment.GetEnvironmentVariable("AML_KEEP_TEST_LOGS") is null)
        {
            Directory.Delete(_directory, recursive: true); // AML_KEEP_TEST_LOGS=1 keeps the silo logs for a look
        }
    }

    /// <summary>
    /// Signs in as dev account <paramref name="index"/> once (tokens live 30 minutes, and sign-ins are rate-limited per
    /// wallet as for any frontend); returns the call headers carrying the token.
    /// </summary>
    public async Task<Metadata> SignInAsync(int index)
    {
        if (!_signedIn.TryGetValue(index, out var headers))
        {
            _signedIn[index] = headers = await WalletSignInClient.SignInAsync(Channel, Chain.Signer(index));
        }

        return headers;
    }

    /// <summary>
    /// Quotes <paramref name="request"/> as dev account <paramref name="traderIndex"/> and opens it with the trader's
    /// signature over the quote's digest, through the gateway; returns the quote and the trader's call headers.
    /// </summary>
    public async Task<(QuoteResponse Quote, Metadata Headers)> QuoteAndOpenAsync(int traderIndex, QuoteRequest request)
    {
        var positions = new Positions.PositionsClient(Channel);
        var headers = await SignInAsync(traderIndex);
        var quote = await positions.QuoteAsync(request, headers);
        var signature = Hex.Encode(Chain.Signer(traderIndex).SignHash(Hex.Decode(quote.Digest)).ToRsv());
        await positions.OpenAsync(new OpenRequest { PositionId = quote.PositionId, Digest = quote.Digest, Decision = quote.Decision, QuoteToken = quote.QuoteToken, TraderSignature = signature }, headers);
        return (quote, headers);
    }

    /// <summary>Runs the CLI (<c>aml-cli.dll</c>, as <c>./aml</c> does) to its end: exit code, stdout, stderr.</summary>
    public async Task<(int Exit, string Output, string Error)> RunCliAsync(params string[] args)
    {
        var dll = Path.Combine(AnvilChain.RepositoryRoot(), "Cli", "bin", "Release", "net10.0", "aml-cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the CLI");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"aml-cli {string.Join(' ', args.Take(3))} did not end within 120 s: {await output} {await error}");
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>Warms the market's features up with real candles (once) and sends a tick at <paramref name="priceE8"/>.</summary>
    public async Task PriceAsync(string asset, long priceE8)
    {
        var market = Feed.GetGrain<Grains.Interfaces.IMarketGrain>(asset);
        if (await market.GetFeaturesAsync() is null)
        {
            foreach (var candle in TestModels.CandlesAfterTraining(Aml.Orleans.Risk.FeatureWindow.WarmUp + 5))
            {
                await market.CloseCandleAsync(candle);
            }
        }

        await Chain.SetFeedPriceAsync(asset, priceE8); // the dev feed follows the market, as the replay makes it
        await market.SubmitTickAsync(new Grains.Interfaces.MarketTick(priceE8, _ticks.Next()));
    }

    private static Process StartSilo(Dictionary<string, string> environment, string logFile)
    {
        var root = AnvilChain.RepositoryRoot();
        var dll = Path.Combine(root, "Silo", "bin", "Release", "net10.0", "Aml.Orleans.Silo.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is missing: build the solution in Release first (./aml test does)");
        }

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = root };
        start.ArgumentList.Add(dll);
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the silo");
        var log = new StreamWriter(logFile) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Whether the first silo's <c>/health/ready</c> answers 200 now (its dependencies, PostgreSQL among them, answer).</summary>
    public Task<bool> IsReadyAsync() => IsReadyAsync(HttpBase);

    private static async Task<bool> IsReadyAsync(Uri httpBase)
    {
        using var http = new HttpClient();
        try
        {
            return (await http.GetAsync(new Uri(httpBase, "/health/ready"))).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false; // not listening (yet)
        }
    }

    // Ready once its warm-up ran (one quorum, one encode, every model set explained and batch-scored, JIT for all of
    // it): seconds on a quiet machine, over a minute on two cores shared with other suites' silos and chains. The wait
    // ends as soon as the silo answers, so the bound only decides how long a silo that never comes up takes to fail.
    private static readonly TimeSpan SiloStartTimeout = TimeSpan.FromSeconds(180);

    private static async Task WaitReadyAsync(Process silo, int httpPort, string logFile)
    {
        var deadline = DateTime.UtcNow + SiloStartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (silo.HasExited)
            {
                throw new InvalidOperationException($"the silo exited with {silo.ExitCode}: {File.ReadAllText(logFile)}");
            }

            if (await IsReadyAsync(new Uri($"http://127.0.0.1:{httpPort}")))
            {
                return;
            }

            await Task.Delay(200); // the poll interval of this wait for the condition, bounded by the deadline
        }

        throw new TimeoutException($"the silo was not ready within {SiloStartTimeout.TotalSeconds} s: {File.ReadAllText(logFile)}");
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
