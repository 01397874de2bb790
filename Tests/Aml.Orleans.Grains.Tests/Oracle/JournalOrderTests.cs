using Aml.Orleans.Grains.Oracle;

namespace Aml.Orleans.Grains.Tests.Oracle;

public sealed class JournalOrderTests
{
    private static readonly Dictionary<string, long> Stored = new() { ["c"] = 10, ["d"] = 11, ["e"] = 12 };

    [Fact]
    public void Assign_NewRowsAtTheHeadAndTail_OnlyThoseNumberedAroundTheStoredOnes()
    {
        long next = 13;

        var assigned = Assign(["a", "b", "c", "d", "e", "f", "g"], _ => false, ref next);

        Assert.Equal(new Dictionary<string, long> { ["a"] = 8, ["b"] = 9, ["f"] = 13, ["g"] = 14 }, assigned);
        Assert.Equal(15, next);
    }

    [Fact]
    public void Assign_ARowThatMustBeWrittenInTheMiddle_RenumbersTheWholeListInOrder()
    {
        long next = 13;

        var assigned = Assign(["c", "d", "e"], key => key == "d", ref next);

        Assert.Equal(["c", "d", "e"], assigned.OrderBy(a => a.Value).Select(a => a.Key));
        Assert.Equal(16, next);
    }

    [Fact]
    public void Assign_StoredNumbersOutOfOrder_RenumbersTheWholeListInOrder()
    {
        long next = 13;

        var assigned = Assign(["e", "c", "d"], _ => false, ref next);

        Assert.Equal(["e", "c", "d"], assigned.OrderBy(a => a.Value).Select(a => a.Key));
    }

    [Fact]
    public void Assign_TheStoredRowsUnchanged_NothingToWrite()
    {
        long next = 13;

        Assert.Empty(Assign(["c", "e"], _ => false, ref next));
        Assert.Equal(13, next);
    }

    private static Dictionary<string, long> Assign(string[] order, Func<string, bool> mustWrite, ref long next) =>
        JournalOrder.Assign(order, mustWrite, key => Stored.TryGetValue(key, out var seq) ? seq : null, ref next);
}
