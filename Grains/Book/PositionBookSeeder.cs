using Aml.Orleans.Grains.Storage;

namespace Aml.Orleans.Grains.Book;

/// <summary>
/// The bulk path for positions the indexer delivers in bulk (a first sync, a new silo fleet): rows go straight into
/// each shard's book and into <c>aml_position_book</c> by one COPY BINARY, with no grain activation, no per-row
/// statement and no flush. For empty shards only; later changes are the shards' own deltas.
/// </summary>
public static class PositionBookSeeder
{
    /// <summary>
    /// Validates <paramref name="rows"/>, loads them into one book per shard of <paramref name="market"/>
    /// (<paramref name="bucketCount"/> buckets), then stores them in one COPY. On any error nothing is stored and no
    /// book is returned.
    /// </summary>
    /// <returns>The loaded books by shard, for the shards that got rows.</returns>
    public static Task<IReadOnlyDictionary<BookShardKey, PositionBook>> SeedAsync(
        PositionBookTable table, string market, int bucketCount, IReadOnlyList<BookRow> rows, CancellationToken cancellationToken) =>
        SeedAsync(table, market, bucketCount, rows, null, cancellationToken);

    /// <summary>
    /// As <see cref="SeedAsync(PositionBookTable, string, int, IReadOnlyList{BookRow}, CancellationToken)"/>, storing
    /// with each row the trader at the same index of <paramref name="traders"/>, so that an activated shard prices
    /// the row in its reassessment batch without waking the position.
    /// </summary>
    public static async Task<IReadOnlyDictionary<BookShardKey, PositionBook>> SeedAsync(
        PositionBookTable table, string market, int bucketCount, IReadOnlyList<BookRow> rows, IReadOnlyList<string?>? traders,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rows);
        var buckets = new int[rows.Count];
        var counts = new int[bucketCount];
        for (var i = 0; i < rows.Count; i++)
        {
            rows[i].Validate();
            counts[buckets[i] = BookShardKey.BucketOf(rows[i].Key, bucketCount)]++;
        }

        var byBucket = counts.Select(c => new BookRow[c]).ToArray();
        Array.Clear(counts);
        for (var i = 0; i < rows.Count; i++)
        {
            byBucket[buckets[i]][counts[buckets[i]]++] = rows[i];
        }

        var books = new Dictionary<BookShardKey, PositionBook>();
        for (var bucket = 0; bucket < bucketCount; bucket++)
        {
            if (byBucket[bucket].Length > 0)
            {
                var book = new PositionBook(byBucket[bucket].Length);
                book.Load(byBucket[bucket]); // refuses a repeated id before anything is stored
                books[new BookShardKey(market, bucket)] = book;
            }
        }

        await table.CopyInAsync(market, bucketCount, rows, traders, cancellationToken);
        return books;
    }
}
