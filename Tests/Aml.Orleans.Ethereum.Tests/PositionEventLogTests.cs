using System.Numerics;
using Aml.Orleans.Ethereum.Abi;

namespace Aml.Orleans.Ethereum.Tests;

/// <summary>
/// Every position event of forge's compiled ABI decodes through <see cref="PositionEventLog"/> with its typed fields:
/// a renamed or retyped parameter fails here, not in the indexer at run time.
/// </summary>
public sealed class PositionEventLogTests
{
    private static readonly Bytes32 PositionId = Bytes32.KeccakOf("position");
    private static readonly Bytes32 Digest = Bytes32.KeccakOf("decision");

    /// <summary>The value each named parameter carries in the built logs; the rest get a value of their type.</summary>
    private static readonly Dictionary<string, object> ByName = new(StringComparer.Ordinal)
    {
        ["decisionHash"] = Digest, ["pnl"] = new BigInteger(-1_234_567), ["badDebt"] = new BigInteger(777),
        ["reason"] = new BigInteger(7), ["amount"] = new BigInteger(4_242), ["fee"] = new BigInteger(99),
    };

    [Theory]
    [MemberData(nameof(EventNames))]
    public void TryDecode_EachPositionEventOfTheCompiledAbi_TypedFields(string name)
    {
        var abi = MarginManagerNamesTests.Compiled("MarginManager");
        var declared = abi.Event(name);
        var carried = declared.Inputs.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var data = AbiCodec.Encode(
            declared.Inputs.Where(p => !p.Indexed).Select(p => p.Type).ToArray(),
            declared.Inputs.Where(p => !p.Indexed).Select(p => ByName.GetValueOrDefault(p.Name) ?? ValueOf(p.Type)).ToArray());

        var decoded = PositionEventLog.TryDecode(abi, [declared.Topic0, PositionId], data)!;

        Assert.Equal((name, PositionId), (decoded.Name, decoded.PositionId));
        Assert.Equal(carried.Contains("decisionHash") ? Digest : null, decoded.DecisionHash);
        Assert.Equal(carried.Contains("pnl") ? -1_234_567 : 0, decoded.Pnl);
        Assert.Equal(carried.Contains("badDebt") ? 777 : 0, decoded.BadDebt);
        Assert.Equal(name == MarginManagerNames.Events.DecisionSkipped ? 7 : 0, decoded.SkipReason);
        var amount = name switch
        {
            MarginManagerNames.Events.PayoutEscrowed => 4_242,
            MarginManagerNames.Events.BorrowFeeCharged => 99,
            _ => 0,
        };
        Assert.Equal(amount, decoded.Amount);
    }

    [Fact]
    public void TryDecode_AnEventAboutNoPosition_Null()
    {
        var abi = MarginManagerNamesTests.Compiled("MarginManager");
        var halted = abi.Event("Halted");
        var data = AbiCodec.Encode(halted.Inputs.Where(p => !p.Indexed).Select(p => p.Type).ToArray(), halted.Inputs.Where(p => !p.Indexed).Select(p => ValueOf(p.Type)).ToArray());
        var topics = new[] { halted.Topic0 }.Concat(halted.Inputs.Where(p => p.Indexed).Select(_ => Bytes32.KeccakOf("topic"))).ToArray();

        Assert.Null(PositionEventLog.TryDecode(abi, topics, data));
    }

    public static TheoryData<string> EventNames() => new(PositionEventLog.Names.Order(StringComparer.Ordinal));

    private static object ValueOf(AbiType type) => type.Name switch
    {
        "address" => new Address(Keccak.Hash("someone").AsSpan(12)),
        "bool" => true,
        "bytes32" => Bytes32.KeccakOf(type.Name),
        _ => BigInteger.One,
    };
}
