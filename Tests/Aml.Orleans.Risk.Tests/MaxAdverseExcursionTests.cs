namespace Aml.Orleans.Risk.Tests;

public sealed class MaxAdverseExcursionTests
{
    [Fact]
    public void Long_LowestLowBelowEntry_FractionalDrop() =>
        Assert.Equal(0.2, MaxAdverseExcursion.Long(100, [95, 80, 120]), 12);

    [Fact]
    public void Short_HighestHighAboveEntry_FractionalRise() =>
        Assert.Equal(0.25, MaxAdverseExcursion.Short(100, [95, 125, 110]), 12);

    [Fact]
    public void Long_PriceOnlyRises_Zero() =>
        Assert.Equal(0, MaxAdverseExcursion.Long(100, [101, 130]));

    [Fact]
    public void Long_EmptyHorizon_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => MaxAdverseExcursion.Long(100, []));
}
