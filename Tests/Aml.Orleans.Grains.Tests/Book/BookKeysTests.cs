using Aml.Orleans.Grains.Book;

namespace Aml.Orleans.Grains.Tests.Book;

public sealed class BookKeysTests
{
    private const string Id = "0x8f1e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7";

    [Fact]
    public void PositionKey_ParseThenFormat_RoundTripsLowercase()
    {
        var key = PositionKey.Parse(Id.ToUpperInvariant().Replace("0X", "0x", StringComparison.Ordinal));

        Assert.Equal(Id, key.ToString());
        Assert.Equal(key, PositionKey.FromBytes(key.ToArray()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("8f1e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7")]
    [InlineData("0x8f1e")]
    [InlineData("0x8f1e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6fz")]
    [InlineData("0x+f1e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7")]
    public void PositionKey_Malformed_FormatException(string text) =>
        Assert.Throws<FormatException>(() => PositionKey.Parse(text));

    [Fact]
    public void BucketOf_KnownId_SameBucketInEveryProcess()
    {
        // Pinned: routing must not change between releases or processes (a moved bucket strands its rows).
        Assert.Equal(56, BookShardKey.BucketOf(PositionKey.Parse(Id), 64));
    }

    [Fact]
    public void BucketOf_RandomIds_SpreadEvenly()
    {
        var random = new Random(21);
        var counts = new int[16];
        for (var i = 0; i < 160_000; i++)
        {
            counts[BookShardKey.BucketOf(RandomRows.Key(random), counts.Length)]++;
        }

        // 10,000 expected per bucket, standard deviation ~97: 600 off is more than six of them.
        Assert.All(counts, c => Assert.InRange(c, 9_400, 10_600));
    }

    [Fact]
    public void BookShardKey_FormatThenParse_RoundTrips()
    {
        var shard = new BookShardKey("eth-usd", 17);

        Assert.Equal("ETH-USD/17", shard.ToString());
        Assert.Equal(shard, BookShardKey.Parse("ETH-USD/17"));
        Assert.Throws<FormatException>(() => BookShardKey.Parse("ETH-USD"));
        Assert.Throws<FormatException>(() => BookShardKey.Parse("ETH-USD/-1"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BookShardKey("ETH-USD", BookShardKey.MaxBuckets));
        Assert.Throws<FormatException>(() => new BookShardKey("ETH/USD", 1));
    }
}
