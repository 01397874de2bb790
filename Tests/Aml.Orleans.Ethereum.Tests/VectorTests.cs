using System.Numerics;
using System.Text.Json;
using Aml.Orleans.Ethereum.Abi;

namespace Aml.Orleans.Ethereum.Tests;

/// <summary>Every output in Vectors/vectors.json (produced by cast 1.7.1, see make_vectors.py) recomputed in C#.</summary>
public sealed class VectorTests
{
    private static readonly string VectorDirectory = Path.Combine(AppContext.BaseDirectory, "Vectors");
    private static readonly JsonElement[] Vectors = Load();

    public static TheoryData<int> Of(string kind)
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Vectors.Length; i++)
        {
            if (Vectors[i].GetProperty("kind").GetString() == kind)
            {
                data.Add(i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Of), "keccak-text")]
    public void KeccakText_CastVector_Matches(int index)
    {
        var v = Vectors[index];
        Assert.Equal(Output(v), Hex.Encode(Keccak.Hash(v.GetProperty("input").GetString()!)));
    }

    [Theory]
    [MemberData(nameof(Of), "keccak-hex")]
    public void KeccakHex_CastVector_Matches(int index)
    {
        var v = Vectors[index];
        Assert.Equal(Output(v), Hex.Encode(Keccak.Hash(Hex.Decode(v.GetProperty("input").GetString()!))));
    }

    [Theory]
    [MemberData(nameof(Of), "rlp")]
    public void RlpEncode_CastVector_MatchesAndDecodesBack(int index)
    {
        var v = Vectors[index];
        using var input = JsonDocument.Parse(v.GetProperty("input").GetString()!);
        var item = CastLiteral.ParseRlp(input.RootElement);
        var encoded = Rlp.Encode(item);
        Assert.Equal(Output(v), Hex.Encode(encoded));
        Assert.Equal(item, Rlp.Decode(encoded));
    }

    [Theory]
    [MemberData(nameof(Of), "abi-encode")]
    public void AbiEncode_CastVector_MatchesAndDecodesBack(int index)
    {
        var v = Vectors[index];
        var function = AbiFunction.Parse(v.GetProperty("signature").GetString()!);
        var types = function.Inputs.Select(p => p.Type).ToArray();
        var values = v.GetProperty("values").EnumerateArray().Select((e, i) => CastLiteral.Parse(types[i], e.GetString()!)).ToArray();
        var encoded = AbiCodec.Encode(types, values);
        Assert.Equal(Output(v), Hex.Encode(encoded));
        Assert.True(AbiValues.DeepEqual(values, AbiCodec.Decode(types, encoded)));
    }

    [Theory]
    [MemberData(nameof(Of), "calldata")]
    public void MarginManagerCalldata_CastVector_Matches(int index)
    {
        var v = Vectors[index];
        var signature = v.GetProperty("signature").GetString()!;
        var function = MarginManagerAbi.Definition.Functions.Single(f => f.Signature == signature);
        var types = function.Inputs.Select(p => p.Type).ToArray();
        var values = v.GetProperty("values").EnumerateArray().Select((e, i) => CastLiteral.Parse(types[i], e.GetString()!)).ToArray();
        var quorum = Quorum.FromAbiValue(values[^1]);
        var calldata = function.Name == "applyDecisions"
            ? MarginManagerAbi.EncodeApplyDecisions(
                new DecisionList((ulong)(BigInteger)values[0], (ulong)(BigInteger)values[1], ((object[])values[2]).Select(RiskDecision.FromAbiValue).ToArray()),
                quorum)
            : MarginManagerAbi.EncodeApplyDecision(RiskDecision.FromAbiValue(values[0]), quorum);
        Assert.Equal(Output(v), Hex.Encode(calldata));
    }

    [Theory]
    [MemberData(nameof(Of), "sign-hash")]
    public void SignHash_CastVector_SameSignatureAndRecovers(int index)
    {
        var v = Vectors[index];
        var signer = LocalKeySigner.FromHex(v.GetProperty("key").GetString()!);
        var hash = Hex.Decode(v.GetProperty("hash").GetString()!);
        var signature = signer.SignHash(hash);
        Assert.Equal(Output(v), Hex.Encode(signature.ToRsv()));
        Assert.Equal(signer.Address, Secp256k1.RecoverAddress(hash, Signature.FromRsv(Hex.Decode(Output(v)))));
    }

    [Theory]
    [MemberData(nameof(Of), "sign-personal")]
    public void SignPersonalMessage_CastVector_SameSignature(int index)
    {
        var v = Vectors[index];
        var signer = LocalKeySigner.FromHex(v.GetProperty("key").GetString()!);
        var signature = signer.SignHash(PersonalMessage.Hash(v.GetProperty("message").GetString()!));
        Assert.Equal(Output(v), Hex.Encode(signature.ToRsv()));
    }

    [Theory]
    [MemberData(nameof(Of), "sign-typed")]
    public void SignTypedData_CastVector_SameSignature(int index)
    {
        var v = Vectors[index];
        var signer = LocalKeySigner.FromHex(v.GetProperty("key").GetString()!);
        var typed = TypedData.FromJson(File.ReadAllText(Path.Combine(VectorDirectory, v.GetProperty("file").GetString()!)));
        var signature = signer.SignHash(typed.Digest());
        Assert.Equal(Output(v), Hex.Encode(signature.ToRsv()));
    }

    [Fact]
    public void RiskDecisionDigest_TypedRecordsAndCastFiles_SameDigest()
    {
        var single = TypedData.FromJson(File.ReadAllText(Path.Combine(VectorDirectory, "typed", "risk-decision.json")));
        var list = TypedData.FromJson(File.ReadAllText(Path.Combine(VectorDirectory, "typed", "decision-list.json")));
        var domain = Eip712Domain.MarginManager(6343, Address.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3"));
        var decisions = ((JsonElement)list.Message["decisions"]!).EnumerateArray().Select(FromJson).ToArray();

        Assert.Equal(RiskDecision.TypeString, Eip712.EncodeType(single.Types, "RiskDecision"));
        Assert.Equal(DecisionList.TypeString, Eip712.EncodeType(list.Types, "DecisionList"));
        Assert.Equal(single.Digest(), decisions[0].Digest(domain));
        Assert.Equal(list.Digest(), new DecisionList(42, 1763900600, decisions).Digest(domain));
    }

    [Theory]
    [MemberData(nameof(Of), "mktx-legacy")]
    public void LegacyTransaction_CastVector_SameRawTransaction(int index)
    {
        var v = Vectors[index];
        var signer = LocalKeySigner.FromHex(v.GetProperty("key").GetString()!);
        var tx = new LegacyTransaction(
            v.GetProperty("chainId").GetUInt64(), v.GetProperty("nonce").GetUInt64(), BigInteger.Parse(v.GetProperty("gasPrice").GetString()!),
            v.GetProperty("gasLimit").GetUInt64(), Address.Parse(v.GetProperty("to").GetString()!), BigInteger.Parse(v.GetProperty("value").GetString()!),
            Hex.Decode(v.GetProperty("data").GetString()!));
        var signed = tx.Sign(signer);
        Assert.Equal(Output(v), signed.RawHex);
        Assert.Equal(Bytes32.KeccakOf(Hex.Decode(Output(v))), signed.Hash);
    }

    [Theory]
    [MemberData(nameof(Of), "mktx-1559")]
    public void Eip1559Transaction_CastVector_SameRawTransactionAndDecodes(int index)
    {
        var v = Vectors[index];
        var signer = LocalKeySigner.FromHex(v.GetProperty("key").GetString()!);
        var tx = new Eip1559Transaction(
            v.GetProperty("chainId").GetUInt64(), v.GetProperty("nonce").GetUInt64(),
            BigInteger.Parse(v.GetProperty("maxPriorityFeePerGas").GetString()!), BigInteger.Parse(v.GetProperty("maxFeePerGas").GetString()!),
            v.GetProperty("gasLimit").GetUInt64(), Address.Parse(v.GetProperty("to").GetString()!), BigInteger.Parse(v.GetProperty("value").GetString()!),
            Hex.Decode(v.GetProperty("data").GetString()!));
        var signed = tx.Sign(signer);
        Assert.Equal(Output(v), signed.RawHex);

        var (decoded, from) = Eip1559Transaction.DecodeSigned(Hex.Decode(Output(v)));
        Assert.Equal(signer.Address, from);
        Assert.Equal(tx.SigningHash(), decoded.SigningHash());
    }

    private static RiskDecision FromJson(JsonElement d)
    {
        BigInteger N(string name) => BigInteger.Parse(d.GetProperty(name).ValueKind == JsonValueKind.String
            ? d.GetProperty(name).GetString()! : d.GetProperty(name).GetRawText());
        Bytes32 B(string name) => Bytes32.Parse(d.GetProperty(name).GetString()!);
        return new RiskDecision(
            (DecisionKind)(byte)N("kind"), B("positionId"), B("marketId"), Address.Parse(d.GetProperty("trader").GetString()!),
            d.GetProperty("isLong").GetBoolean(), (UInt128)N("collateral"), (UInt128)N("size"), (uint)N("maxLeverageX100"),
            (uint)N("maintenanceMarginBps"), (uint)N("closeFactorBps"), (ushort)N("riskScoreBps"), (UInt128)N("markPriceE18"),
            (ulong)N("priceTimestamp"), (ulong)N("positionVersion"), (ulong)N("validUntil"), B("modelHash"), B("featuresHash"));
    }

    private static string Output(JsonElement vector) => vector.GetProperty("output").GetString()!;

    private static JsonElement[] Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(VectorDirectory, "vectors.json")));
        return document.RootElement.GetProperty("vectors").EnumerateArray().Select(v => v.Clone()).ToArray();
    }
}
