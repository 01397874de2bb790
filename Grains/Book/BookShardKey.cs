using System.Globalization;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Book;

/// <summary>
/// One shard of a market's position book: market × bucket, the bucket from the position id's stable hash, so one
/// market's positions spread over several grains (and silos). Formatted <c>ETH-USD/17</c>, parsed here and nowhere else.
/// </summary>
/// <remarks>
/// A market's bucket count is fixed while it has rows: changing it moves positions between shards, which needs a
/// re-seed (rows are keyed by bucket in <c>aml_position_book</c>).
/// </remarks>
public readonly record struct BookShardKey
{
    /// <summary>The most buckets a market may have (a shard key stays short and a bucket fits a smallint).</summary>
    public const int MaxBuckets = 4096;

    // Routing uses another salt than the book's own hash table, so one shard's keys do not crowd its table's slots.
    private const ulong BucketSalt = 0x6275636B6574UL; // "bucket"

    /// <summary>A shard of <paramref name="market"/>.</summary>
    public BookShardKey(string market, int bucket)
    {
        Market = AssetSymbol.Parse(market).Value;
        Bucket = bucket is >= 0 and < MaxBuckets
            ? bucket
            : throw new ArgumentOutOfRangeException(nameof(bucket), bucket, $"a bucket is 0..{MaxBuckets - 1}");
    }

    /// <summary>The market's asset symbol, e.g. <c>ETH-USD</c>.</summary>
    public string Market { get; }

    /// <summary>The bucket, 0 ≤ bucket &lt; the market's bucket count.</summary>
    public int Bucket { get; }

    /// <summary>The bucket of <paramref name="position"/> in a market of <paramref name="bucketCount"/> buckets.</summary>
    public static int BucketOf(PositionKey position, int bucketCount)
    {
        if (bucketCount is < 1 or > MaxBuckets)
        {
            throw new ArgumentOutOfRangeException(nameof(bucketCount), bucketCount, $"a market has 1..{MaxBuckets} buckets");
        }

        // Lemire's multiply-shift: uniform over the buckets without a division.
        return (int)(((position.StableHash(BucketSalt) >> 32) * (ulong)bucketCount) >> 32);
    }

    /// <summary>The shard that holds <paramref name="position"/> of <paramref name="market"/>.</summary>
    public static BookShardKey For(string market, PositionKey position, int bucketCount) =>
        new(market, BucketOf(position, bucketCount));

    /// <summary>Parses <c>MARKET/bucket</c>.</summary>
    public static BookShardKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var slash = text.LastIndexOf('/');
        if (slash <= 0 || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var bucket))
        {
            throw new FormatException($"'{text}' is not a book shard key (MARKET/bucket, e.g. ETH-USD/3)");
        }

        return new BookShardKey(text[..slash], bucket);
    }

    /// <summary>The grain key, <c>MARKET/bucket</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Market}/{Bucket}");
}
