using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Tests;

public sealed class AssetSymbolTests
{
    [Theory]
    [InlineData("ETH-USD", "ETH-USD")]
    [InlineData("btc-usd", "BTC-USD")]
    public void Parse_WellFormed_Canonical(string text, string expected) =>
        Assert.Equal(expected, AssetSymbol.Parse(text).Value);

    [Theory]
    [InlineData("")]
    [InlineData("ETHUSD")]
    [InlineData("ETH-USD-X")]
    [InlineData("E-USD")]
    public void TryParse_Malformed_False(string text) =>
        Assert.False(AssetSymbol.TryParse(text, out _));
}
