namespace Aml.Orleans.Grains.Book;

/// <summary>
/// Spreads the markets' book shards evenly over the active silos (<see cref="ShardSpread"/>), moving each with Orleans'
/// live migration: the shard flushes its rows as it deactivates and loads them on the silo it moves to. One grain for
/// the cluster, so two spreads never race; <see cref="BookSpreadTrigger"/> calls it when the membership changes.
/// </summary>
[Alias("aml.IBookSpreaderGrain")]
public interface IBookSpreaderGrain : IGrainWithIntegerKey
{
    /// <summary>Moves shards until every active silo holds as many as any other, give or take one.</summary>
    Task<BookSpreadResult> SpreadAsync();
}

/// <summary>One spread: how many shards were active, on how many silos, and how many it moved.</summary>
[GenerateSerializer, Immutable, Alias("aml.BookSpreadResult")]
public sealed record BookSpreadResult(int Shards, int Silos, int Moved);
