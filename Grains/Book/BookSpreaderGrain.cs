using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Aml.Orleans.Grains.Book;

/// <inheritdoc cref="IBookSpreaderGrain"/>
internal sealed partial class BookSpreaderGrain(ILogger<BookSpreaderGrain> logger) : Grain, IBookSpreaderGrain
{
    /// <summary>How Orleans' activation statistics name the shard grain: its class and assembly.</summary>
    public static string[] ShardClass { get; } = [$"{typeof(MarketBookGrain).FullName},{typeof(MarketBookGrain).Assembly.GetName().Name}"];

    /// <inheritdoc />
    public async Task<BookSpreadResult> SpreadAsync()
    {
        var management = GrainFactory.GetGrain<IManagementGrain>(0);
        var silos = (await management.GetHosts(onlyActive: true)).Keys.OrderBy(s => s.ToString(), StringComparer.Ordinal).ToArray();
        var shards = (await management.GetDetailedGrainStatistics(ShardClass))
            .Select(s => (Shard: s.GrainId.Key.ToString()!, Silo: s.SiloAddress))
            .ToArray();
        var moves = ShardSpread.Moves(shards, silos);
        foreach (var (shard, to) in moves)
        {
            await GrainFactory.GetGrain<IMarketBookGrain>(shard).MoveToAsync(to);
        }

        LogSpread(shards.Length, silos.Length, moves.Count);
        return new BookSpreadResult(shards.Length, silos.Length, moves.Count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Book shards spread: {Shards} active over {Silos} silos, {Moved} moved")]
    private partial void LogSpread(int shards, int silos, int moved);
}
