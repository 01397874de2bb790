namespace Aml.Orleans.Grains.Book;

/// <summary>
/// Which trader holds each row of a shard, for the reassessment batch (the trader's profile is a model input). The
/// row has no room for a 20-byte address, so ids are interned: one string per distinct trader, and per position an
/// int in a dictionary of unmanaged entries, which the GC does not trace.
/// </summary>
/// <remarks>
/// Stored with the rows (<c>aml_position_book.trader</c>, migration 0007) and refilled when the shard loads them, so a
/// re-activated shard prices due rows in its batch. Only a row stored before that migration has no trader until the
/// position's next upsert; its sweep wakes the position instead (what the position did by itself before).
/// A trader no position refers to any more keeps its slot until the shard re-activates; there are far fewer traders
/// than positions. Not thread-safe: it lives inside one grain.
/// </remarks>
internal sealed class TraderTable
{
    private readonly Dictionary<PositionKey, int> _traderOf = [];
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _traders = [];

    /// <summary>Records that <paramref name="trader"/> holds <paramref name="position"/>.</summary>
    public void Set(PositionKey position, string trader)
    {
        if (!_ids.TryGetValue(trader, out var id))
        {
            id = _traders.Count;
            _traders.Add(trader);
            _ids.Add(trader, id);
        }

        _traderOf[position] = id;
    }

    /// <summary>The trader of <paramref name="position"/>, when an upsert named it since the shard activated.</summary>
    public bool TryGet(PositionKey position, out string trader)
    {
        var known = _traderOf.TryGetValue(position, out var id);
        trader = known ? _traders[id] : "";
        return known;
    }

    /// <summary>Forgets <paramref name="position"/>.</summary>
    public void Remove(PositionKey position) => _traderOf.Remove(position);
}
