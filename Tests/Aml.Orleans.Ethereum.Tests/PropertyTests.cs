using System.Numerics;
using Aml.Orleans.Ethereum.Abi;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Aml.Orleans.Ethereum.Tests;

/// <summary>Round-trip properties over thousands of seeded random cases.</summary>
public sealed class PropertyTests
{
    [Fact]
    public void SignHash_RandomKeysAndHashes_RecoversSignerLowSAndCompactRoundTrips()
    {
        var random = new RandomValues(4001);
        for (var i = 0; i < 2000; i++)
        {
            var signer = new LocalKeySigner(random.PrivateKey());
            var hash = random.Bytes(32);
            var signature = signer.SignHash(hash);

            Assert.True(new BigInteger(signature.S, isUnsigned: true, isBigEndian: true) <= Secp256k1.HalfN);
            Assert.Equal(signer.Address, Secp256k1.RecoverAddress(hash, signature));
            Assert.Equal(signature, Signature.FromCompact(signature.ToCompact()));
            Assert.Equal(signature, Signature.FromRsv(signature.ToRsv()));
        }
    }

    [Fact]
    public void SignHash_RandomCases_SameRAndSAsBouncyCastleEcdsaSigner()
    {
        // An independent path: BouncyCastle's own RFC 6979 signer, normalised to low-s afterwards.
        var curve = CustomNamedCurves.GetByName("secp256k1");
        var domain = new ECDomainParameters(curve.Curve, curve.G, curve.N, curve.H);
        var random = new RandomValues(4002);
        for (var i = 0; i < 500; i++)
        {
            var key = random.PrivateKey();
            var hash = random.Bytes(32);
            var bc = new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest()));
            bc.Init(true, new ECPrivateKeyParameters(new Org.BouncyCastle.Math.BigInteger(1, key), domain));
            var rs = bc.GenerateSignature(hash);
            var s = rs[1].CompareTo(curve.N.ShiftRight(1)) > 0 ? curve.N.Subtract(rs[1]) : rs[1];

            var ours = Secp256k1.Sign(hash, key);
            Assert.Equal(rs[0].ToByteArrayUnsigned(), ours.R.ToArray().SkipWhile(b => b == 0).ToArray());
            Assert.Equal(s.ToByteArrayUnsigned(), ours.S.ToArray().SkipWhile(b => b == 0).ToArray());
        }
    }

    [Fact]
    public void NativeSecp256k1_RandomKeysAndHashes_SameBytesAsManaged()
    {
        // ./aml setup installs Debian's libsecp256k1-1; without it production falls back to BouncyCastle silently,
        // so the test insists on the library rather than passing vacuously.
        Assert.True(Secp256k1Native.IsAvailable, "libsecp256k1.so.1 is not loadable: run ./aml setup (apt-get install libsecp256k1-1)");
        Assert.Equal("libsecp256k1", Secp256k1.Backend);
        var random = new RandomValues(4004);
        for (var i = 0; i < 3000; i++)
        {
            var key = random.PrivateKey();
            var hash = random.Bytes(32);

            var native = Secp256k1Native.Sign(hash, key);
            var managed = Secp256k1Managed.Sign(hash, key);

            Assert.NotNull(native);
            Assert.Equal(managed.ToRsv(), native.ToRsv());
            Assert.Equal(Secp256k1Managed.PublicKey(key), Secp256k1Native.PublicKey(key));
            Assert.Equal(Secp256k1Managed.RecoverPublicKey(hash, managed), Secp256k1Native.RecoverPublicKey(hash, native));
        }
    }

    [Fact]
    public void RlpDecode_RandomItems_InvertsEncode()
    {
        var random = new RandomValues(4003);
        for (var i = 0; i < 5000; i++)
        {
            var item = random.RlpItem(4);
            Assert.Equal(item, Rlp.Decode(Rlp.Encode(item)));
        }
    }

    [Fact]
    public void RlpDecode_RandomlyCorruptedInput_RejectsOrIsCanonical()
    {
        // Whatever the decoder accepts must re-encode to the same bytes: one value, one encoding.
        var random = new RandomValues(4004);
        var accepted = 0;
        for (var i = 0; i < 5000; i++)
        {
            var bytes = Rlp.Encode(random.RlpItem(3));
            bytes[random.Int(bytes.Length)] = random.Bytes(1)[0];
            try
            {
                var item = Rlp.Decode(bytes);
                Assert.Equal(bytes, Rlp.Encode(item));
                accepted++;
            }
            catch (FormatException)
            {
                // Rejected with a message naming the offset; nothing else may be thrown.
            }
        }

        Assert.InRange(accepted, 1, 4999);
    }

    [Fact]
    public void AbiDecode_RandomTypesAndValues_InvertsEncode()
    {
        var random = new RandomValues(4005);
        for (var i = 0; i < 3000; i++)
        {
            var types = Enumerable.Range(0, 1 + random.Int(4)).Select(_ => random.AbiType(3)).ToArray();
            var values = types.Select(random.AbiValue).ToArray();
            var encoded = AbiCodec.Encode(types, values);
            var decoded = AbiCodec.Decode(types, encoded);
            Assert.True(AbiValues.DeepEqual(values, decoded), string.Join(",", types.Select(t => t.Name)));
            Assert.Equal(types.Select(t => t.Name), types.Select(t => AbiType.Parse(t.Name).Name));
        }
    }

    [Fact]
    public void AbiDecode_RandomlyCorruptedInput_ThrowsOnlyFormatException()
    {
        var random = new RandomValues(4006);
        for (var i = 0; i < 3000; i++)
        {
            var types = Enumerable.Range(0, 1 + random.Int(3)).Select(_ => random.AbiType(2)).ToArray();
            var encoded = AbiCodec.Encode(types, types.Select(random.AbiValue).ToArray());
            if (encoded.Length == 0)
            {
                continue;
            }

            encoded[random.Int(encoded.Length)] ^= (byte)(1 + random.Int(255));
            var truncated = encoded.AsSpan(0, random.Bool() ? encoded.Length : random.Int(encoded.Length)).ToArray();
            try
            {
                AbiCodec.Decode(types, truncated);
            }
            catch (FormatException)
            {
                // The only acceptable failure: bad input is reported, never crashes with another exception type.
            }
        }
    }

    [Fact]
    public void RiskDecision_RandomDecisions_TypedDigestEqualsGenericAndAbiRoundTrips()
    {
        var random = new RandomValues(4007);
        var types = DecisionList.Types;
        var domain = Eip712Domain.MarginManager(6343, new Address(random.Bytes(20)));
        var genericDomain = new TypedData(types, "RiskDecision", domain.ToTypedValues(), new Dictionary<string, object?>());
        Assert.Equal(domain.Separator(), genericDomain.DomainSeparator());
        for (var i = 0; i < 2000; i++)
        {
            var decision = random.Decision();
            Assert.Equal(Eip712.HashStruct(types, "RiskDecision", decision.ToTypedValues()), decision.StructHash());

            var encoded = AbiCodec.Encode(RiskDecision.AbiType, decision.ToAbiValue());
            Assert.Equal(decision, RiskDecision.FromAbiValue(AbiCodec.Decode([RiskDecision.AbiType], encoded)[0]));
        }
    }

    [Fact]
    public void DecisionList_RandomBatches_TypedDigestEqualsGenericAndCalldataRoundTrips()
    {
        var random = new RandomValues(4008);
        var domain = Eip712Domain.MarginManager(6343, new Address(random.Bytes(20)));
        for (var i = 0; i < 200; i++)
        {
            var list = new DecisionList((ulong)random.Int(1000), (ulong)random.Int(int.MaxValue),
                Enumerable.Range(0, random.Int(6)).Select(_ => random.Decision()).ToArray());
            var generic = new TypedData(DecisionList.Types, "DecisionList", domain.ToTypedValues(), list.ToTypedValues());
            Assert.Equal(generic.Digest(), list.Digest(domain));

            var quorum = new Quorum(random.Int(1 << 16), random.Bytes(64 * (1 + random.Int(3))));
            var (decodedList, decodedQuorum) = MarginManagerAbi.DecodeApplyDecisions(MarginManagerAbi.EncodeApplyDecisions(list, quorum));
            Assert.Equal(list.Decisions, decodedList.Decisions);
            Assert.Equal((list.BatchNonce, list.ValidUntil), (decodedList.BatchNonce, decodedList.ValidUntil));
            Assert.Equal(quorum, decodedQuorum);
        }
    }

    [Fact]
    public void Eip1559Transaction_RandomFields_DecodesAndRecoversSender()
    {
        var random = new RandomValues(4009);
        for (var i = 0; i < 1000; i++)
        {
            var signer = new LocalKeySigner(random.PrivateKey());
            var tx = new Eip1559Transaction((ulong)random.Int(100000), (ulong)random.Int(1 << 20),
                new BigInteger(random.Bytes(random.Int(9)), isUnsigned: true), new BigInteger(random.Bytes(random.Int(12)), isUnsigned: true),
                (ulong)random.Int(int.MaxValue), random.Bool() ? new Address(random.Bytes(20)) : null,
                new BigInteger(random.Bytes(random.Int(33)), isUnsigned: true), random.Bytes(random.Length()));
            var signed = tx.Sign(signer);
            var (decoded, from) = Eip1559Transaction.DecodeSigned(signed.Raw);

            Assert.Equal(signer.Address, from);
            Assert.Equal(tx.SigningHash(), decoded.SigningHash());
            Assert.Equal(Bytes32.KeccakOf(signed.Raw), signed.Hash);
        }
    }
}
