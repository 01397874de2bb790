using System.Numerics;

namespace Aml.Orleans.Ethereum.Tests;

public sealed class PrimitiveTests
{
    [Fact]
    public void Address_DevKeyZero_IsTheWellKnownAnvilAccount() =>
        Assert.Equal("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", LocalKeySigner.FromHex(AnvilFixture.DevKeys[0]).Address.ToString());

    [Theory]
    [InlineData("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266")]
    [InlineData("0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266")]
    [InlineData("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")]
    public void AddressParse_SingleCaseOrValidChecksum_Accepted(string text) =>
        Assert.Equal("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", Address.Parse(text).ToString());

    [Theory]
    [InlineData("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267")]
    [InlineData("0xF39fd6e51aad88F6F4ce6aB8827279cffFb92266")]
    [InlineData("0xf39fd6e51aad88f6f4ce6ab8827279cfffb922")]
    [InlineData("f39fd6e51aad88f6f4ce6ab8827279cfffb9226600")]
    public void AddressParse_BadChecksumOrLength_Throws(string text) =>
        Assert.Throws<FormatException>(() => Address.Parse(text));

    [Theory]
    [InlineData("0x8100")]
    [InlineData("0x817f")]
    [InlineData("0xb800")]
    [InlineData("0xb90037" + "00")]
    [InlineData("0xf800")]
    [InlineData("0x8201")]
    [InlineData("0xc201")]
    [InlineData("0x0102")]
    [InlineData("0xc3c101")]
    [InlineData("0xc2810a")]
    [InlineData("")]
    public void RlpDecode_NonCanonicalTruncatedOrTrailing_Throws(string hex) =>
        Assert.Throws<FormatException>(() => Rlp.Decode(Hex.Decode(hex)));

    [Fact]
    public void RlpStringToInteger_LeadingZero_Throws() =>
        Assert.Throws<FormatException>(() => new RlpString([0x00, 0x01]).ToInteger());

    [Fact]
    public void SignatureFromRsv_HighS_Rejected()
    {
        var low = LocalKeySigner.FromHex(AnvilFixture.DevKeys[0]).SignHash(Keccak.Hash("x"));
        var highS = (Secp256k1.N - new BigInteger(low.S, isUnsigned: true, isBigEndian: true)).ToByteArray(isUnsigned: true, isBigEndian: true);
        var rsv = low.ToRsv();
        highS.CopyTo(rsv, 32 + 32 - highS.Length);

        Assert.Throws<ArgumentException>(() => Signature.FromRsv(rsv));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(26)]
    [InlineData(29)]
    public void SignatureFromRsv_BadV_Rejected(byte v)
    {
        var rsv = LocalKeySigner.FromHex(AnvilFixture.DevKeys[0]).SignHash(Keccak.Hash("x")).ToRsv();
        rsv[64] = v;
        Assert.Throws<ArgumentException>(() => Signature.FromRsv(rsv));
    }

    [Fact]
    public void LocalKeySigner_ZeroOrOrderKey_Rejected()
    {
        Assert.Throws<ArgumentException>(() => new LocalKeySigner(new byte[32]));
        Assert.Throws<ArgumentException>(() => new LocalKeySigner(Secp256k1.N.ToByteArray(isUnsigned: true, isBigEndian: true)));
        Assert.DoesNotContain(AnvilFixture.DevKeys[0][2..], LocalKeySigner.FromHex(AnvilFixture.DevKeys[0]).ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void LegacyTransaction_Eip155_VEncodesChainId()
    {
        var signed = new LegacyTransaction(6343, 0, 1, 21000, Address.Zero, 0, []).Sign(LocalKeySigner.FromHex(AnvilFixture.DevKeys[0]));
        var fields = ((RlpList)Rlp.Decode(signed.Raw)).Items;
        var v = ((RlpString)fields[6]).ToInteger();

        Assert.Contains(v, new BigInteger[] { (6343 * 2) + 35, (6343 * 2) + 36 });
    }
}
