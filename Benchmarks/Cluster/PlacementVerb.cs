using System.Text;
using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Core.Internal;
using Orleans.Runtime;

namespace Aml.Orleans.Benchmarks.Cluster;

/// <summary>
/// <c>Aml.Orleans.Benchmarks placement --pg CONNECTION [--cluster-id aml-dev]</c>: where a running cluster (<c>./aml
/// cluster</c>) holds its market book shards, markets and positions, silo by silo, from Orleans' own grain directory
/// (<see cref="IManagementGrain"/>). Prints Markdown.
/// </summary>
internal static class PlacementVerb
{
    private const string Usage = "usage: Aml.Orleans.Benchmarks placement --pg CONNECTION [--cluster-id aml-dev] [--service-id aml]";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            values[args[i]] = args[i + 1];
        }

        if (args.Count % 2 != 0 || !values.TryGetValue("--pg", out var pg))
        {
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

        using var host = new HostBuilder()
            .UseOrleansClient(c => c
                .UseAmlPostgres(pg)
                .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (values.GetValueOrDefault("--cluster-id", "aml-dev"), values.GetValueOrDefault("--service-id", "aml"))))
            .Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<IClusterClient>();
        Console.Write(await TableAsync(client));
        await host.StopAsync();
        return 0;
    }

    private static async Task<string> TableAsync(IClusterClient client)
    {
        var management = client.GetGrain<IManagementGrain>(0);
        var silos = (await management.GetHosts(onlyActive: true)).Keys.OrderBy(s => s.ToString(), StringComparer.Ordinal).ToArray();
        var shard = client.GetGrain<IMarketBookGrain>("BTC-USD/0").GetGrainId().Type;
        var market = client.GetGrain<IMarketGrain>("BTC-USD").GetGrainId().Type;
        var position = client.GetGrain<IPositionGrain>("0x" + new string('0', 64)).GetGrainId().Type;
        var grains = await management.GetDetailedGrainStatistics(); // every activation, with its silo

        var md = new StringBuilder();
        md.Append($"| Silo | Book shards | Markets | Active positions |\n|---|---|---|---:|\n");
        foreach (var silo in silos)
        {
            var here = grains.Where(g => g.SiloAddress.Equals(silo)).ToArray();
            string Keys(GrainType type) =>
                string.Join(", ", here.Where(g => g.GrainId.Type == type).Select(g => g.GrainId.Key.ToString()).Order(StringComparer.Ordinal)) is { Length: > 0 } list ? list : "–";
            md.Append($"| {silo} | {Keys(shard)} | {Keys(market)} | {here.Count(g => g.GrainId.Type == position)} |\n");
        }

        var shards = grains.Where(g => g.GrainId.Type == shard).ToArray();
        md.Append($"\n{shards.Length} book shards on {shards.Select(g => g.SiloAddress).Distinct().Count()} of {silos.Length} silos.\n");
        return md.ToString();
    }
}
