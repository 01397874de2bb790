namespace Aml.Orleans.Ethereum.Tests;

public sealed class HexTests
{
    [Theory]
    [InlineData(new byte[] { }, "0x")]
    [InlineData(new byte[] { 0x00, 0xff, 0x10 }, "0x00ff10")]
    public void Encode_Bytes_LowercasePrefixed(byte[] bytes, string expected) =>
        Assert.Equal(expected, Hex.Encode(bytes));

    [Theory]
    [InlineData("0x00FF10")]
    [InlineData("00ff10")]
    public void Decode_WithOrWithoutPrefix_SameBytes(string hex) =>
        Assert.Equal(new byte[] { 0x00, 0xff, 0x10 }, Hex.Decode(hex));

    [Theory]
    [InlineData("0x123")]
    [InlineData("0xzz")]
    public void Decode_Malformed_Throws(string hex) =>
        Assert.Throws<FormatException>(() => Hex.Decode(hex));
}
