using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Tests.Domain;

public sealed class PriceBandLadderTests
{
    [Fact]
    public void TakeCrossed_FallThroughLongBand_OnlyThatOwner()
    {
        var ladder = new PriceBandLadder();
        ladder.Set("long-95", [(BandDirection.Falling, 95)]);
        ladder.Set("long-90", [(BandDirection.Falling, 90)]);
        ladder.Set("short-105", [(BandDirection.Rising, 105)]);

        Assert.Equal(["long-95"], ladder.TakeCrossed(94));
        Assert.Equal(2, ladder.OwnerCount);
    }

    [Fact]
    public void TakeCrossed_OwnerWithTwoCrossedBands_ReturnedOnceAndRemoved()
    {
        var ladder = new PriceBandLadder();
        ladder.Set("p", [(BandDirection.Falling, 95), (BandDirection.Falling, 97)]);

        Assert.Equal(["p"], ladder.TakeCrossed(90));
        Assert.Empty(ladder.TakeCrossed(80));
        Assert.Equal(0, ladder.BandCount);
    }

    [Fact]
    public void Set_Again_ReplacesOldBands()
    {
        var ladder = new PriceBandLadder();
        ladder.Set("p", [(BandDirection.Falling, 95)]);
        ladder.Set("p", [(BandDirection.Falling, 50)]);

        Assert.Empty(ladder.TakeCrossed(90));
        Assert.Equal(1, ladder.BandCount);
    }

    [Fact]
    public void TakeCrossed_RandomBandsAndPath_SameOwnersAsABruteForceScan()
    {
        var random = new Random(7);
        var ladder = new PriceBandLadder();
        var reference = new Dictionary<string, List<(BandDirection Direction, long Price)>>();
        for (var i = 0; i < 2_000; i++)
        {
            var bands = Enumerable.Range(0, random.Next(1, 3))
                .Select(_ => (random.Next(2) == 0 ? BandDirection.Falling : BandDirection.Rising, random.NextInt64(1, 1_000)))
                .ToList();
            ladder.Set($"p{i}", bands);
            reference[$"p{i}"] = bands;
        }

        for (var step = 0; step < 500; step++)
        {
            var price = random.NextInt64(1, 1_000);
            var expected = reference
                .Where(kv => kv.Value.Any(b => b.Direction == BandDirection.Falling ? price <= b.Price : price >= b.Price))
                .Select(kv => kv.Key)
                .Order(StringComparer.Ordinal)
                .ToList();
            foreach (var owner in expected)
            {
                reference.Remove(owner);
            }

            Assert.Equal(expected, ladder.TakeCrossed(price).Order(StringComparer.Ordinal).ToList());
        }
    }
}
