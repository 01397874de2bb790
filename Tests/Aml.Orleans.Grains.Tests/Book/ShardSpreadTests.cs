using Aml.Orleans.Grains.Book;

namespace Aml.Orleans.Grains.Tests.Book;

public sealed class ShardSpreadTests
{
    private static Dictionary<string, int> After(IReadOnlyList<(string Shard, string Silo)> placed, string[] silos)
    {
        var moved = ShardSpread.Moves(placed, silos).ToDictionary(m => m.Shard, m => m.To);
        return silos.ToDictionary(s => s, s => placed.Count(p => (moved.GetValueOrDefault(p.Shard) ?? p.Silo) == s));
    }

    [Fact]
    public void Moves_FourShardsOnTheFirstOfThreeSilos_TwoMoveOneToEachNewSilo()
    {
        (string, string)[] placed = [("BTC-USD/0", "a"), ("DOGE-USD/0", "a"), ("ETH-USD/0", "a"), ("SOL-USD/0", "a")];

        var moves = ShardSpread.Moves(placed, ["a", "b", "c"]);

        Assert.Equal([("SOL-USD/0", "b"), ("ETH-USD/0", "c")], moves);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 2, ["b"] = 1, ["c"] = 1 }, After(placed, ["a", "b", "c"]));
    }

    [Fact]
    public void Moves_AlreadyEvenGiveOrTakeOne_MovesNothing()
    {
        (string, string)[] placed = [("s/0", "a"), ("s/1", "a"), ("s/2", "b"), ("s/3", "c"), ("s/4", "c")];
        Assert.Empty(ShardSpread.Moves(placed, ["a", "b", "c"]));
        Assert.Empty(ShardSpread.Moves(placed, ["a"]));
    }

    [Fact]
    public void Moves_ManyShardsOnTwoOfFourSilos_EverySiloWithinOneOfTheOthers()
    {
        var placed = Enumerable.Range(0, 29).Select(i => ($"s/{i:00}", i % 3 == 0 ? "b" : "a")).ToArray();

        var counts = After(placed, ["a", "b", "c", "d"]).Values;

        Assert.Equal(29, counts.Sum());
        Assert.True(counts.Max() - counts.Min() <= 1, string.Join(", ", counts));
        Assert.Equal(ShardSpread.Moves(placed, ["a", "b", "c", "d"]), ShardSpread.Moves(placed, ["a", "b", "c", "d"]));
    }

    [Fact]
    public void Moves_AShardOnASiloNoLongerActive_IsLeftForOrleansToPlace()
    {
        (string, string)[] placed = [("s/0", "gone"), ("s/1", "gone"), ("s/2", "gone"), ("s/3", "a")];
        Assert.Empty(ShardSpread.Moves(placed, ["a", "b"]));
    }
}
