using System.Numerics;
using Aml.Orleans.Ethereum.Abi;

namespace Aml.Orleans.Ethereum.Tests;

public sealed class AbiTests
{
    [Theory]
    [InlineData("bool", "0x0000000000000000000000000000000000000000000000000000000000000002")]
    [InlineData("address", "0x0000000000000000000000010000000000000000000000000000000000000000")]
    [InlineData("uint8", "0x0000000000000000000000000000000000000000000000000000000000000100")]
    [InlineData("int8", "0x0000000000000000000000000000000000000000000000000000000000000080")]
    [InlineData("bytes4", "0xdeadbeef00000000000000000000000000000000000000000000000000000001")]
    [InlineData("bytes", "0x0000000000000000000000000000000000000000000000000000000000000040")]
    [InlineData("bytes", "0x00000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000021")]
    [InlineData("uint256[]", "0x0000000000000000000000000000000000000000000000000000000000000020ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")]
    [InlineData("string", "0x00000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000001ff00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("uint256", "0x00")]
    public void Decode_DirtyOrOutOfRangeOrTruncated_ThrowsFormatException(string type, string hex) =>
        Assert.Throws<FormatException>(() => AbiCodec.Decode([AbiType.Parse(type)], Hex.Decode(hex)));

    [Theory]
    [InlineData("uint8", 256)]
    [InlineData("uint64", -1)]
    [InlineData("int8", 128)]
    public void Encode_IntegerOutsideWidth_Throws(string type, long value) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => AbiCodec.Encode(AbiType.Parse(type), new BigInteger(value)));

    [Theory]
    [InlineData("uint7")]
    [InlineData("bytes33")]
    [InlineData("(uint8")]
    [InlineData("uint8[0]")]
    [InlineData("fixed128x18")]
    public void Parse_UnsupportedType_Throws(string type) => Assert.Throws<FormatException>(() => AbiType.Parse(type));

    [Fact]
    public void FromJson_ForgeArtifactWithTuples_CanonicalSignaturesAndSelectors()
    {
        const string json = """
        {"abi":[
          {"type":"function","name":"applyDecision","inputs":[
            {"name":"d","type":"tuple","components":[{"name":"kind","type":"uint8"},{"name":"positionId","type":"bytes32"}]},
            {"name":"q","type":"tuple","components":[{"name":"signerBitmap","type":"uint256"},{"name":"signatures","type":"bytes"}]}],
           "outputs":[],"stateMutability":"nonpayable"},
          {"type":"function","name":"batch","inputs":[{"name":"ds","type":"tuple[]","components":[{"name":"a","type":"address"},{"name":"b","type":"uint16[2]"}]}],"outputs":[{"name":"","type":"uint256"}]},
          {"type":"event","name":"DecisionSkipped","inputs":[{"name":"positionId","type":"bytes32","indexed":true},{"name":"reason","type":"uint8","indexed":false}],"anonymous":false},
          {"type":"error","name":"StalePrice","inputs":[{"name":"age","type":"uint64"}]}
        ]}
        """;
        var abi = AbiContract.FromJson(json);

        Assert.Equal("applyDecision((uint8,bytes32),(uint256,bytes))", abi.Function("applyDecision").Signature);
        Assert.Equal("batch((address,uint16[2])[])", abi.Function("batch").Signature);
        Assert.Equal(Keccak.Hash("DecisionSkipped(bytes32,uint8)"), abi.Event("DecisionSkipped").Topic0.ToArray());
        Assert.Equal(Hex.Decode("0xa9059cbb"), AbiFunction.Parse("transfer(address to, uint256 amount)").Selector);

        var revert = abi.Errors.Single().Encode(300UL);
        Assert.Equal("StalePrice(300)", abi.TryDecodeError(revert)!.ToString());
        Assert.Null(abi.TryDecodeError(Hex.Decode("0x12345678")));
    }

    [Fact]
    public void EventDecode_IndexedAndDataParameters_ByName()
    {
        var skipped = AbiEvent.Parse("DecisionSkipped(bytes32 indexed positionId, uint8 reason)");
        var positionId = Bytes32.KeccakOf("pos-9");

        var decoded = skipped.Decode([skipped.Topic0, positionId], AbiCodec.Encode(AbiType.Parse("uint8"), (byte)3));

        Assert.Equal(positionId.ToArray(), (byte[])decoded["positionId"]);
        Assert.Equal(new BigInteger(3), decoded["reason"]);
        Assert.Throws<FormatException>(() => skipped.Decode([Bytes32.KeccakOf("Other()"), positionId], new byte[32]));
        Assert.Throws<FormatException>(() => skipped.Decode([skipped.Topic0], new byte[32]));
    }

    [Fact]
    public void MarginManagerAbi_FunctionSignatures_MatchContractSurface()
    {
        Assert.Contains(
            "applyDecisions(uint64,uint64,(uint8,bytes32,bytes32,address,bool,uint128,uint128,uint32,uint32,uint32,uint16,uint128,uint64,uint64,uint64,bytes32,bytes32)[],(uint256,bytes))",
            MarginManagerAbi.FunctionSignatures);
        Assert.Equal(22 + 16, MarginManagerAbi.FunctionSignatures.Count); // version 1, and what version 2 added
        Assert.Contains("setMarketLimits(bytes32,(address,uint32,uint64,uint64,uint128,uint128,uint32,uint64))", MarginManagerAbi.FunctionSignatures);
        Assert.Contains("PositionLiquidated(bytes32,bytes32,uint128,int256,uint128,uint128)", MarginManagerAbi.EventSignatures);
        Assert.Equal(12 + 9, MarginManagerAbi.EventSignatures.Count + MarginManagerAbi.EventNamesWithoutFixedParameters.Count);
    }

    [Fact]
    public void MarginManagerAbiDifferencesFrom_MissingAndChangedMembers_Reported()
    {
        var json = "[" + string.Join(",", MarginManagerAbi.Definition.Functions.Where(f => f.Name != "halt").Select(f =>
            $$"""{"type":"function","name":"{{f.Name}}","inputs":[{{string.Join(",", f.Inputs.Select(p => $$"""{"name":"x","type":"{{p.Type.Name}}"}"""))}}],"outputs":[{{string.Join(",", f.Outputs.Select(p => $$"""{"name":"","type":"{{(f.Name == "threshold" ? "uint256" : p.Type.Name)}}"}"""))}}]}"""))
            + "," + string.Join(",", MarginManagerAbi.EventNamesWithoutFixedParameters.Select(n => $$"""{"type":"event","name":"{{n}}","inputs":[]}"""))
            + "," + string.Join(",", MarginManagerAbi.Definition.Events.Where(e => e.Name != "PositionLiquidated").Select(e =>
                $$"""{"type":"event","name":"{{e.Name}}","inputs":[{{string.Join(",", e.Inputs.Select(p => $$"""{"name":"{{p.Name}}","type":"{{p.Type.Name}}","indexed":{{(p.Indexed ? "true" : "false")}}}"""))}}]}"""))
            + "]";

        var differences = MarginManagerAbi.DifferencesFrom(AbiContract.FromJson(json));

        Assert.Equal(3, differences.Count);
        Assert.Contains(differences, d => d.StartsWith("function halt()", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("function threshold() returns (uint256)", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("event PositionLiquidated", StringComparison.Ordinal));
    }

    [Fact]
    public void MarginManagerAbiDifferencesFrom_CompiledContractAbi_None()
    {
        // abi/MarginManager.json is kept equal to forge's output by `node abi/sync.mjs --check` in ./aml test,
        // so this pins the hand-written C# binding to the contract that is actually deployed.
        var path = Path.Combine(AnvilFixture.RepositoryRoot(), "Contracts.Solidity", "abi", "MarginManager.json");

        var differences = MarginManagerAbi.DifferencesFrom(AbiContract.FromJson(File.ReadAllText(path)));

        Assert.Empty(differences);
    }

    [Fact]
    public void PriceFeedBindingsDifferencesFrom_CompiledMockFeedAbi_None()
    {
        // The guard reads the Chainlink interface; the dev feed adds its updater's calls. Both pinned to forge's ABI.
        var path = Path.Combine(AnvilFixture.RepositoryRoot(), "Contracts.Solidity", "abi", "MockPriceFeed.json");
        var compiled = AbiContract.FromJson(File.ReadAllText(path));

        Assert.Empty(PriceFeedAbi.DifferencesFrom(compiled));
        Assert.Empty(MockPriceFeedAbi.DifferencesFrom(compiled));
    }
}
