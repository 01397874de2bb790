namespace Aml.Orleans.Ethereum.Tests;

public sealed class KeccakTests
{
    // Reference values: `cast keccak ""` and `cast keccak "ETH-USD"` (foundry 1.7.1).
    [Theory]
    [InlineData("", "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")]
    [InlineData("ETH-USD", "0x2430f68ea2e8d4151992bb7fc3a4c472087a6149bf7e0232704396162ab7c1f7")]
    public void Hash_Utf8Text_MatchesCast(string text, string expected) =>
        Assert.Equal(expected, Hex.Encode(Keccak.Hash(text)));
}
