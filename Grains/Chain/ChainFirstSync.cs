using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Events = Aml.Orleans.Ethereum.MarginManagerNames.Events;

namespace Aml.Orleans.Grains.Chain;

/// <summary>What a first sync did: positions delivered in bulk, and events delivered one by one to their grains.</summary>
public sealed record FirstSyncResult(int Seeded, int EventsDelivered);

/// <summary>
/// The indexer's first pass over the chain (no cursor yet: a new silo fleet on a contract with history). Every position
/// still open at the head that the silo does not store yet is read once at the head and delivered in bulk through
/// <see cref="PositionSeeder"/> (grain state and book row, no grain activated) instead of replaying its events through
/// its grain; the events of every other position (closed ones, and those the silo stores already) are delivered as on
/// any later range. Replaying a first sync after a crash seeds nothing twice: the seeder leaves stored positions alone.
/// </summary>
public sealed class ChainFirstSync(
    ChainContext chain, ChainEventRelay relay, IGrainFactory grains, MarketCatalogOptions catalog, PositionSeeder? seeder, ulong maxLogRange)
{
    /// <summary>Reads the logs of blocks <paramref name="fromBlock"/>..<paramref name="toBlock"/> and delivers them.</summary>
    public async Task<FirstSyncResult> RunAsync(ulong fromBlock, ulong toBlock, CancellationToken cancellationToken)
    {
        var logs = new List<LogEntry>();
        for (var from = fromBlock; from <= toBlock; from += maxLogRange)
        {
            var to = Math.Min(toBlock, from + maxLogRange - 1);
            logs.AddRange(await chain.Rpc.GetLogsAsync(
                new LogFilter(chain.Contract.Contract, FromBlock: Quantity.Encode(from), ToBlock: Quantity.Encode(to)), cancellationToken));
        }

        var seeded = seeder is null ? [] : await SeedOpenPositionsAsync(seeder, logs, toBlock, cancellationToken);
        var rest = logs.Where(l => relay.DecodePositionEvent(l) is not { } e || !seeded.Contains(e.PositionId.ToString()));
        var delivered = await relay.DeliverAsync(rest, awaitDelivery: true, cancellationToken: cancellationToken);
        return new FirstSyncResult(seeded.Count, delivered);
    }

    /// <summary>The last change the range saw of one position: its block, and the decision whose terms it holds.</summary>
    private sealed record LastChange(ulong Block, string? Decision);

    /// <summary>Seeds the positions opened in <paramref name="logs"/> that are open at <paramref name="head"/>; returns the ids stored.</summary>
    private async Task<HashSet<string>> SeedOpenPositionsAsync(
        PositionSeeder bulk, IReadOnlyList<LogEntry> logs, ulong head, CancellationToken cancellationToken)
    {
        var changes = new Dictionary<Bytes32, LastChange>();
        foreach (var log in logs)
        {
            if (relay.DecodePositionEvent(log) is not { } decoded)
            {
                continue;
            }

            var id = decoded.PositionId;
            var opened = decoded.Name == Events.PositionOpened;
            if (!opened && !changes.ContainsKey(id))
            {
                continue; // opened before the range: not the first sync's to seed
            }

            var decision = decoded.Name is Events.PositionOpened or Events.RiskUpdated ? decoded.DecisionHash?.ToString() : null;
            changes[id] = new LastChange(log.BlockNumber ?? 0, decision ?? changes[id].Decision);
        }

        // Every position and every block time in batched reads: a first sync over a busy contract reads thousands.
        var headBlock = await chain.Rpc.GetBlockAsync(Quantity.Encode(head), cancellationToken);
        var atHead = await relay.ReadPositionsAsync(changes.Keys.ToList(), headBlock, cancellationToken);
        var open = changes.Where(c => atHead[c.Key].Status == ChainPositionStatus.Open && c.Value.Decision is not null).ToList();
        var blockTimes = await relay.BlockTimesAsync(open.Select(c => c.Value.Block).Distinct().ToList(), cancellationToken);
        var byMarket = new Dictionary<string, List<SeededPosition>>(StringComparer.Ordinal);
        foreach (var (id, change) in open) // the others' events tell their grains how they ended
        {
            var position = atHead[id];
            var changedAt = DateTimeOffset.FromUnixTimeSeconds((long)blockTimes[change.Block]);
            var (modelHash, featuresHash) = await TermsSourceAsync(position.Asset, change.Decision!);
            if (!byMarket.TryGetValue(position.Asset, out var list))
            {
                byMarket[position.Asset] = list = [];
            }

            list.Add(new SeededPosition(id.ToString(), position, changedAt, modelHash, featuresHash));
        }

        var seeded = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (asset, positions) in byMarket)
        {
            // The bands are set at the market's price; a market without one yet hears of its positions by their events.
            var mark = (await grains.GetGrain<IMarketGrain>(asset).GetSnapshotAsync()).LastPriceE8;
            if (mark <= 0 || !chain.Deployment.Catalog().TryGetValue(asset, out var terms))
            {
                continue;
            }

            var market = new SeedMarket(asset, catalog.BookBucketsFor(asset), terms.BorrowRateBpsPerDay, mark);
            seeded.UnionWith(await bulk.SeedAsync(market, positions, cancellationToken));
        }

        return seeded;
    }

    /// <summary>
    /// The model and features hashes a seeded position's later decisions cite: those of the decision whose terms it holds
    /// when this silo's oracle audited it; otherwise (another fleet's oracle, a lost audit) the market's model now, which
    /// is registered, and no features.
    /// </summary>
    private async Task<(string ModelHash, string FeaturesHash)> TermsSourceAsync(string asset, string decision)
    {
        if (await grains.GetGrain<IOracleGrain>(chain.Deployment.OracleKey).GetAuditAsync(decision) is { } audit)
        {
            return (audit.ModelHash, audit.FeaturesHash);
        }

        return ((await grains.GetGrain<IRiskGrain>(asset).GetModelAsync()).ModelHash, Bytes32.Zero.ToString());
    }
}
