using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Aml.Orleans.Ethereum.Abi;
using Aml.Orleans.Ethereum.Rpc;

namespace Aml.Orleans.Ethereum.Tests;

/// <summary>
/// One real anvil per test class (configured like MegaETH, see MEGAETH.md) with the probe contract compiled by
/// solc-js and deployed by this library's own transaction code. Killed on dispose.
/// </summary>
public sealed class AnvilFixture : IAsyncLifetime
{
    /// <summary>The well-known anvil dev keys (mnemonic "test test … junk"), indices 0–5.</summary>
    public static readonly string[] DevKeys =
    [
        "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
        "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
        "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
        "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
        "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    ];

    public const ulong ChainId = 6343;

    private readonly HttpClient _http = new();
    private Process? _anvil;

    public Uri HttpUrl { get; private set; } = null!;

    public Uri WebSocketUrl { get; private set; } = null!;

    public JsonRpcClient Rpc { get; private set; } = null!;

    public AbiContract ProbeAbi { get; private set; } = null!;

    public Address Probe { get; private set; }

    public LocalKeySigner Deployer { get; } = LocalKeySigner.FromHex(DevKeys[0]);

    // Where anvil moves the states of older blocks; killed, it leaves them (about 1 GB per suite), so the fixture deletes them.
    private readonly string _states = Directory.CreateTempSubdirectory("aml-anvil-states-").FullName;

    public async Task InitializeAsync()
    {
        var root = RepositoryRoot();
        var anvilPath = Environment.GetEnvironmentVariable("AML_ANVIL") is { Length: > 0 } fromEnv
            ? fromEnv
            : Path.Combine(root, "tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
        var (bytecode, abi) = await CompileProbeAsync(root);
        ProbeAbi = abi;

        var port = FreePort();
        var start = new ProcessStartInfo(anvilPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--chain-id", "6343", "--hardfork", "prague", "--gas-limit", "10000000000", "--code-size-limit", "524288",
                     "--disable-min-priority-fee", "--quiet", "--cache-path", _states])
        {
            start.ArgumentList.Add(argument);
        }

        _anvil = Process.Start(start) ?? throw new InvalidOperationException($"could not start {anvilPath}");
        _anvil.OutputDataReceived += (_, _) => { };
        _anvil.ErrorDataReceived += (_, _) => { };
        _anvil.BeginOutputReadLine();
        _anvil.BeginErrorReadLine();
        HttpUrl = new Uri($"http://127.0.0.1:{port}");
        WebSocketUrl = new Uri($"ws://127.0.0.1:{port}");
        Rpc = new JsonRpcClient(_http, HttpUrl, new JsonRpcClientOptions { Errors = abi, RequestTimeout = TimeSpan.FromSeconds(5) });
        await WaitUntilAnsweringAsync();

        var sender = new TransactionSender(Rpc);
        var deployment = await sender.SignEip1559Async(Deployer, null, bytecode);
        var receipt = await sender.SendAndWaitAsync(deployment);
        Probe = receipt.ContractAddress ?? throw new InvalidOperationException("probe deployment has no contract address");
    }

    public Task DisposeAsync()
    {
        if (_anvil is { HasExited: false })
        {
            _anvil.Kill();
            _anvil.WaitForExit();
        }

        _anvil?.Dispose();
        _http.Dispose();
        Directory.Delete(_states, recursive: true);
        return Task.CompletedTask;
    }

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

    private async Task WaitUntilAnsweringAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                Assert.Equal(ChainId, await Rpc.GetChainIdAsync(deadline.Token));
                return;
            }
            catch (HttpRequestException) when (!deadline.IsCancellationRequested && _anvil is { HasExited: false })
            {
                // anvil binds its port a few milliseconds after the process starts: readiness, not timing.
                await Task.Delay(25, deadline.Token);
            }
        }
    }

    /// <summary>Compiles Solidity/Probe.sol with solc-js into a temp directory (files, not a pipe: see TOOLCHAIN.md).</summary>
    private static async Task<(byte[] Bytecode, AbiContract Abi)> CompileProbeAsync(string root)
    {
        var output = Directory.CreateTempSubdirectory("aml-probe-");
        try
        {
            var start = new ProcessStartInfo("node")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = Path.Combine(AppContext.BaseDirectory, "Solidity"),
            };
            foreach (var argument in (string[])[Path.Combine(root, "tools/node_modules/solc/solc.js"), "--bin", "--abi", "--optimize", "-o", output.FullName, "Probe.sol"])
            {
                start.ArgumentList.Add(argument);
            }

            using var solc = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
            var stderr = solc.StandardError.ReadToEndAsync();
            await solc.StandardOutput.ReadToEndAsync();
            await solc.WaitForExitAsync();
            if (solc.ExitCode != 0)
            {
                throw new InvalidOperationException($"solc-js failed ({solc.ExitCode}): {await stderr}");
            }

            var bin = Directory.GetFiles(output.FullName, "*Probe.bin").Single();
            var abi = Directory.GetFiles(output.FullName, "*Probe.abi").Single();
            return (Hex.Decode(File.ReadAllText(bin).Trim()), AbiContract.FromJson(File.ReadAllText(abi)));
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
