namespace Aml.Orleans.Grains.Book;

/// <summary>
/// Which book shards to move so that every active silo holds as many as any other, give or take one. Shards activate
/// where Orleans first placed them, and a cluster that grows keeps them on the silos that were up then; moving the
/// fewest shards from the fullest silo to the emptiest, one at a time, evens that out. Plain data: no Orleans here.
/// </summary>
public static class ShardSpread
{
    /// <summary>
    /// The moves (shard, to silo) that balance <paramref name="placed"/> over <paramref name="silos"/>. Shards on a silo
    /// that is not listed are left alone (Orleans re-places them when it removes that silo). Deterministic: ties go to
    /// the first silo in <paramref name="silos"/> and the lowest shard key.
    /// </summary>
    public static IReadOnlyList<(string Shard, TSilo To)> Moves<TSilo>(IReadOnlyList<(string Shard, TSilo Silo)> placed, IReadOnlyList<TSilo> silos)
        where TSilo : notnull
    {
        ArgumentNullException.ThrowIfNull(placed);
        ArgumentNullException.ThrowIfNull(silos);
        var held = silos.Distinct().ToDictionary(s => s, s => placed.Where(p => p.Silo.Equals(s)).Select(p => p.Shard).Order(StringComparer.Ordinal).ToList());
        var order = held.Keys.ToList();
        var moves = new List<(string, TSilo)>();
        while (order.Count > 1)
        {
            var fullest = order.MaxBy(s => held[s].Count)!;
            var emptiest = order.MinBy(s => held[s].Count)!;
            if (held[fullest].Count - held[emptiest].Count <= 1)
            {
                break;
            }

            var shard = held[fullest][^1];
            held[fullest].RemoveAt(held[fullest].Count - 1);
            held[emptiest].Add(shard);
            moves.Add((shard, emptiest));
        }

        return moves;
    }
}
