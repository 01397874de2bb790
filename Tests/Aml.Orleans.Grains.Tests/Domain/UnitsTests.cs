using Aml.Orleans.Grains.Domain;

namespace Aml.Orleans.Grains.Tests.Domain;

/// <summary>The one place the engine's scales live: E8 ↔ E18 exactly and checked, amounts written with their unit.</summary>
public sealed class UnitsTests
{
    [Fact]
    public void ToE18_ThenFromE18_RoundTripsAndMatchesTheContractsScale()
    {
        Assert.Equal(UInt128.Parse("47000000000000000000000", System.Globalization.CultureInfo.InvariantCulture), Units.ToE18(47_000_00000000));
        Assert.Equal(47_000_00000000, Units.FromE18(Units.ToE18(47_000_00000000)));
        Assert.Equal(1, Units.FromE18(Units.ToE18(1) + (UInt128)(Units.E18PerE8 - 1))); // below one E8 unit is dropped
    }

    [Fact]
    public void ToE18_NegativePrice_Overflows()
    {
        Assert.Throws<OverflowException>(() => Units.ToE18(-1));
    }

    [Fact]
    public void FromE18_BeyondLong_Overflows()
    {
        Assert.Throws<OverflowException>(() => Units.FromE18(UInt128.MaxValue));
    }

    [Theory]
    [InlineData(1_234_567_890L, "1234.567890 USDC")]
    [InlineData(-5L, "-0.000005 USDC")]
    public void Usdc_CollateralUnits_AllSixDecimals(long units, string text) => Assert.Equal(text, Units.Usdc(units));

    [Theory]
    [InlineData(47_000_00000000L, "47000.00 USD")]
    [InlineData(12_345_678L, "0.12345678 USD")]
    public void Usd_E8Price_CentsAboveOneDollar(long priceE8, string text) => Assert.Equal(text, Units.Usd(priceE8));

    [Fact]
    public void PercentAndLeverage_BpsAndX100_AsPeopleReadThem()
    {
        Assert.Equal("1.25 %", Units.Percent(125));
        Assert.Equal(10.0, Units.Leverage(1_000));
        Assert.Equal(1_500.0, Units.UsdcOf(1_500_000_000));
        Assert.Equal(47_000_00000000, Units.E8(Units.PriceOf(47_000_00000000)));
    }
}
