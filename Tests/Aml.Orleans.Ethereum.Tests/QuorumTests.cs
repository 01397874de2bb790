using System.Numerics;

namespace Aml.Orleans.Ethereum.Tests;

public sealed class QuorumTests
{
    private static readonly LocalKeySigner[] Keys = AnvilFixture.DevKeys.Select(LocalKeySigner.FromHex).ToArray();
    private static readonly Address[] SignerSet = Keys[..5].Select(k => k.Address).ToArray();
    private static readonly byte[] Digest = Keccak.Hash("decision");

    [Fact]
    public void Build_MoreSignaturesThanThreshold_FirstThresholdByIndexInAscendingOrder()
    {
        var signatures = new[] { 4, 0, 3, 2 }.ToDictionary(i => SignerSet[i], i => Keys[i].SignHash(Digest));

        var quorum = QuorumBuilder.Build(SignerSet, signatures, 3, Digest);

        Assert.Equal(new BigInteger(0b01101), quorum.SignerBitmap);
        Assert.Equal(192, quorum.Signatures.Length);
        var order = new[] { 0, 2, 3 };
        for (var k = 0; k < 3; k++)
        {
            var signature = Signature.FromCompact(quorum.Signatures.AsSpan(64 * k, 64));
            Assert.Equal(SignerSet[order[k]], Secp256k1.RecoverAddress(Digest, signature));
        }
    }

    [Fact]
    public void Build_TooFewSignatures_Throws() =>
        Assert.Throws<InvalidOperationException>(() => QuorumBuilder.Build(
            SignerSet, new Dictionary<Address, Signature> { [SignerSet[0]] = Keys[0].SignHash(Digest), [SignerSet[1]] = Keys[1].SignHash(Digest) }, 3, Digest));

    [Fact]
    public void Build_SignatureFromOutsider_Throws() =>
        Assert.Throws<ArgumentException>(() => QuorumBuilder.Build(
            SignerSet, new Dictionary<Address, Signature> { [Keys[5].Address] = Keys[5].SignHash(Digest) }, 3, Digest));

    [Fact]
    public void Build_SignatureOverOtherDigest_Throws() =>
        Assert.Throws<ArgumentException>(() => QuorumBuilder.Build(
            SignerSet, SignerSet.Take(3).Select((a, i) => (a, Keys[i].SignHash(Keccak.Hash("other")))).ToDictionary(p => p.a, p => p.Item2), 3, Digest));

    [Theory]
    [InlineData(2)]
    [InlineData(6)]
    [InlineData(0)]
    public void ValidateSignerSet_ThresholdNotMajority_Throws(int threshold) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => QuorumBuilder.ValidateSignerSet(SignerSet, threshold));

    [Fact]
    public void ValidateSignerSet_DuplicateZeroOrTooMany_Throws()
    {
        Assert.Throws<ArgumentException>(() => QuorumBuilder.ValidateSignerSet([SignerSet[0], SignerSet[0], SignerSet[1]], 2));
        Assert.Throws<ArgumentException>(() => QuorumBuilder.ValidateSignerSet([SignerSet[0], Address.Zero, SignerSet[1]], 2));
        var many = Enumerable.Range(1, 33).Select(i => new Address(Keccak.Hash($"s{i}").AsSpan(12))).ToArray();
        Assert.Throws<ArgumentException>(() => QuorumBuilder.ValidateSignerSet(many, 20));
    }

    [Fact]
    public async Task SignAsync_FiveKeysThresholdThree_OnlyTheFirstThreeInContractOrderSign()
    {
        var counting = new[] { 4, 1, 3, 0, 2 }.Select(i => new CountingSigner(Keys[i])).ToArray();

        var quorum = await QuorumBuilder.SignAsync(SignerSet, counting, 3, Digest);

        Assert.Equal(new BigInteger(0b00111), quorum.SignerBitmap);
        Assert.Equal([0, 1, 0, 1, 1], counting.Select(c => c.Calls)); // keys 4, 1, 3, 0, 2: signers 0..2 sign
        for (var k = 0; k < 3; k++)
        {
            var signature = Signature.FromCompact(quorum.Signatures.AsSpan(64 * k, 64));
            Assert.Equal(SignerSet[k], Secp256k1.RecoverAddress(Digest, signature));
        }
    }

    [Fact]
    public async Task SignAsync_FewerKeysThanThreshold_Throws() =>
        await Assert.ThrowsAsync<InvalidOperationException>(() => QuorumBuilder.SignAsync(SignerSet, [Keys[0], Keys[3], Keys[5]], 3, Digest));

    private sealed class CountingSigner(LocalKeySigner inner) : ISigner
    {
        public int Calls { get; private set; }

        public Address Address => inner.Address;

        public ValueTask<Signature> SignHashAsync(ReadOnlyMemory<byte> hash32, CancellationToken cancellationToken = default)
        {
            Calls++;
            return inner.SignHashAsync(hash32, cancellationToken);
        }
    }
}
