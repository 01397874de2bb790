using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Chain;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>
/// A real anvil configured like MegaETH with the real contracts deployed by <c>./aml deploy</c> (the same path a
/// developer and <c>./aml run</c> take). Keys are the well-known anvil dev keys, derived by cast from the public
/// mnemonic: 0 admin, 1..5 oracle signers, 6..8 traders, 9 guardian, 10 the oracle's relayer, 11 the price feeds' updater.
/// </summary>
public sealed class AnvilChain : IAsyncDisposable
{
    private const string Mnemonic = "test test test test test test test test test test test junk";
    private readonly Process _anvil;
    private readonly HttpClient _http = new();
    private readonly string _directory;
    private readonly string[] _keys;
    private readonly SemaphoreSlim _feedUpdates = new(1, 1); // one updater key, one nonce sequence

    private AnvilChain(Process anvil, Uri url, string directory, Deployment deployment, string[] keys)
    {
        _anvil = anvil;
        _directory = directory;
        Url = url;
        Deployment = deployment;
        _keys = keys;
        Rpc = new JsonRpcClient(_http, url, new JsonRpcClientOptions { RequestTimeout = TimeSpan.FromSeconds(10) });
    }

    /// <summary>The node's HTTP endpoint.</summary>
    public Uri Url { get; }

    /// <summary>What <c>./aml deploy</c> wrote.</summary>
    public Deployment Deployment { get; }

    /// <summary>The deployment file itself, for processes started by the tests.</summary>
    public string DeploymentFile => Path.Combine(_directory, "deployment.json");

    /// <summary>A client for checks made by the tests themselves.</summary>
    public JsonRpcClient Rpc { get; }

    /// <summary>The dev key at <paramref name="index"/>.</summary>
    public string Key(int index) => _keys[index];

    /// <summary>A signer with the dev key at <paramref name="index"/>.</summary>
    public LocalKeySigner Signer(int index) => LocalKeySigner.FromHex(_keys[index]);

    /// <summary>Starts anvil on a free port and deploys the contracts into it.</summary>
    public static async Task<AnvilChain> StartAsync()
    {
        var root = RepositoryRoot();
        var port = TestNet.FreePort();
        var directory = Directory.CreateTempSubdirectory("aml-chain-").FullName;

        // anvil moves older blocks' states to its cache path; killed, it leaves them (about 1 GB per suite), so they live
        // in this chain's directory, which DisposeAsync deletes.
        var anvil = StartProcess(Tool("AML_ANVIL", root, "anvil"),
            "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--chain-id", "6343", "--hardfork", "prague",
            "--gas-limit", "10000000000", "--code-size-limit", "524288", "--disable-min-priority-fee", "--accounts", "12", "--quiet",
            "--cache-path", Path.Combine(directory, "anvil-states"));
        var url = new Uri($"http://127.0.0.1:{port}");
        try
        {
            using var probe = new HttpClient();
            await WaitUntilAnsweringAsync(new JsonRpcClient(probe, url), anvil, port);
            var deploymentFile = Path.Combine(directory, "deployment.json");
            await RunAsync("bash", Path.Combine(root, "aml"), "deploy", "--rpc-url", url.ToString().TrimEnd('/'), "--out", deploymentFile);
            var cast = Tool("AML_CAST", root, "cast");
            var keys = new string[12];
            for (var i = 0; i < keys.Length; i++)
            {
                keys[i] = (await RunAsync(cast, "wallet", "private-key", Mnemonic, i.ToString(CultureInfo.InvariantCulture))).Trim();
            }

            return new AnvilChain(anvil, url, directory, Deployment.Load(deploymentFile), keys);
        }
        catch
        {
            anvil.Kill();
            anvil.WaitForExit();
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>Registers <paramref name="modelHash"/> on-chain, as the model trainer does before a model is used.</summary>
    public async Task AllowModelAsync(string modelHash)
    {
        var sender = new TransactionSender(Rpc);
        var calldata = Ethereum.MarginManagerAbi.Function("setModel").EncodeCall(Bytes32.Parse(modelHash), true);
        var tx = await sender.SignEip1559Async(Signer(0), Address.Parse(Deployment.MarginManager), calldata);
        await sender.SendAndWaitAsync(tx);
    }

    /// <summary>
    /// Publishes <paramref name="priceE8"/> to <paramref name="asset"/>'s price feed with the feeds' updater key, as the
    /// replay does on a dev stack: the contract refuses decisions the feed contradicts, so tests move it with the market.
    /// </summary>
    public async Task SetFeedPriceAsync(string asset, long priceE8)
    {
        var feed = Deployment.Markets[asset].Limits?.PriceFeed ?? throw new InvalidOperationException($"{asset} has no price feed");
        await _feedUpdates.WaitAsync();
        try
        {
            var sender = new TransactionSender(Rpc);
            var tx = await sender.SignEip1559Async(Signer(11), Address.Parse(feed), MockPriceFeedAbi.EncodeUpdateAnswer(priceE8));
            await sender.SendAndWaitAsync(tx);
        }
        finally
        {
            _feedUpdates.Release();
        }
    }

    /// <summary>Turns automatic mining on or off (off: sent transactions wait in the mempool).</summary>
    public Task SetAutomineAsync(bool on) => Rpc.RequestAsync("evm_setAutomine", [on]);

    /// <summary>
    /// Waits until the wall clock has caught up with the newest block: anvil gives every block a later second than the
    /// last, so bursts of transactions push chain time ahead, and the contract refuses prices older than a change.
    /// </summary>
    public async Task WaitForClockAsync()
    {
        var head = await Rpc.GetBlockAsync("latest");
        while ((ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() <= head.Timestamp)
        {
            await Task.Delay(50);
        }
    }

    /// <summary>Mines one block now.</summary>
    public Task MineAsync() => Rpc.RequestAsync("evm_mine", []);

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (!_anvil.HasExited)
        {
            _anvil.Kill();
            _anvil.WaitForExit();
        }

        _anvil.Dispose();
        _http.Dispose();
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>The repository root (the folder holding Aml.Orleans.sln).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Aml.Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Aml.Orleans.sln above {AppContext.BaseDirectory}");
    }

    private static string Tool(string variable, string root, string name) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } path
            ? path
            : Path.Combine(root, $"tools/node_modules/@foundry-rs/{name}-linux-amd64/bin/{name}");

    private static Process StartProcess(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Runs a tool to completion; its standard output, or an error naming the command and its stderr.</summary>
    internal static async Task<string> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
    }

    /// <summary>
    /// Waits until <paramref name="anvil"/> answers on <paramref name="port"/>. An anvil that exited could not bind the
    /// port (taken between its hand-out and the start), and whatever answers there is another process's chain.
    /// </summary>
    private static async Task WaitUntilAnsweringAsync(JsonRpcClient rpc, Process anvil, int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (anvil.HasExited)
            {
                throw new InvalidOperationException($"anvil exited with {anvil.ExitCode} before answering on port {port} (taken by another process?)");
            }

            try
            {
                await rpc.GetChainIdAsync();
                if (!anvil.HasExited)
                {
                    return;
                }
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
