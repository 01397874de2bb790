using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Domain;

namespace Aml.Orleans.Grains.Tests.Book;

/// <summary>The book's ticks against today's <see cref="PriceBandLadder"/>: the same positions woken, always.</summary>
public sealed class PositionBookLadderTests
{
    [Theory]
    [InlineData(1, 50, 2_000)]
    [InlineData(2, 500, 2_000)]
    [InlineData(3, 5_000, 5_000)]
    [InlineData(4, 20, 10_000)]
    public void TakeCrossed_RandomUpsertsRemovesAndTicks_SameOwnersAsPriceBandLadder(int seed, int positions, int steps)
    {
        var random = new Random(seed);
        var keys = Enumerable.Range(0, positions).Select(_ => RandomRows.Key(random)).ToArray();
        var book = new PositionBook();
        var ladder = new PriceBandLadder();
        // Small prices, so bands collide and ticks land exactly on them.
        const long maxPrice = 200;
        for (var step = 0; step < steps; step++)
        {
            var key = keys[random.Next(keys.Length)];
            switch (random.Next(10))
            {
                case < 5:
                    var row = RandomRows.Row(random, key, maxPrice);
                    book.Upsert(row);
                    ladder.Set(key.ToString(), [(row.Liquidation.Direction, row.Liquidation.PriceE8), (row.Warning.Direction, row.Warning.PriceE8)]);
                    break;
                case < 6:
                    book.Remove(key, out _);
                    ladder.Remove(key.ToString());
                    break;
                default:
                    var price = random.NextInt64(1, maxPrice + 1);
                    var taken = new List<PositionKey>();
                    var count = book.TakeCrossed(price, taken);
                    var expected = ladder.TakeCrossed(price).Order(StringComparer.Ordinal).ToArray();
                    Assert.Equal(expected, taken.Select(k => k.ToString()).Order(StringComparer.Ordinal).ToArray());
                    Assert.Equal(count, taken.Count);
                    break;
            }

            Assert.Equal(ladder.BandCount, book.ArmedBands);
        }
    }

    [Fact]
    public void TakeCrossed_TwoTicksPastTheSameBand_TakenOnceUntilUpsertedAgain()
    {
        var random = new Random(5);
        var row = RandomRows.Row(random, RandomRows.Key(random)) with
        {
            Liquidation = new BookBand(Interfaces.BandDirection.Falling, 900),
            Warning = new BookBand(Interfaces.BandDirection.Falling, 950),
        };
        var book = new PositionBook();
        book.Upsert(row);
        var taken = new List<PositionKey>();

        Assert.Equal(1, book.TakeCrossed(940, taken));
        Assert.Equal(0, book.TakeCrossed(800, taken));
        Assert.True(book.TryGet(row.Key, out var kept));
        Assert.Equal(row, kept); // the row keeps its bands (a reload re-arms them); only the ladder forgot them
        book.Upsert(row);
        Assert.Equal(1, book.TakeCrossed(800, taken));
        Assert.Equal([row.Key, row.Key], taken);
    }

    [Fact]
    public void TakeCrossed_NonPositivePrice_ThrowsAndTakesNothing()
    {
        var random = new Random(6);
        var book = new PositionBook();
        book.Upsert(RandomRows.Row(random, RandomRows.Key(random)) with { Liquidation = new BookBand(Interfaces.BandDirection.Falling, 5) });
        var armed = book.ArmedBands;

        Assert.Throws<ArgumentOutOfRangeException>(() => book.TakeCrossed(0, []));
        Assert.Equal(armed, book.ArmedBands);
    }
}
