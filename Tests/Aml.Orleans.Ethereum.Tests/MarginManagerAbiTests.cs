using System.Numerics;
using Aml.Orleans.Ethereum.Abi;

namespace Aml.Orleans.Ethereum.Tests;

public sealed class MarginManagerAbiTests
{
    [Fact]
    public void TryDecodeLog_PositionLiquidatedWithNegativePnl_AllFieldsByName()
    {
        var liquidated = MarginManagerAbi.Definition.Event("PositionLiquidated");
        var positionId = Bytes32.KeccakOf("pos-1");
        var decisionHash = Bytes32.KeccakOf("decision");
        var data = AbiCodec.Encode(
            liquidated.Inputs.Where(p => !p.Indexed).Select(p => p.Type).ToArray(),
            [decisionHash, UInt128.Parse("5000000000", System.Globalization.CultureInfo.InvariantCulture), new BigInteger(-1_234_567), (ulong)25_000_000, UInt128.Zero]);

        var decoded = MarginManagerAbi.Definition.TryDecodeLog([liquidated.Topic0, positionId], data)!;

        Assert.Equal("PositionLiquidated", decoded.Name);
        Assert.Equal(positionId.ToArray(), (byte[])decoded["positionId"]);
        Assert.Equal(decisionHash.ToArray(), (byte[])decoded["decisionHash"]);
        Assert.Equal(new BigInteger(5_000_000_000), decoded["sizeClosed"]);
        Assert.Equal(new BigInteger(-1_234_567), decoded["pnl"]);
        Assert.Equal(new BigInteger(25_000_000), decoded["penalty"]);
        Assert.Equal(BigInteger.Zero, decoded["badDebt"]);
        Assert.Null(MarginManagerAbi.Definition.TryDecodeLog([Bytes32.KeccakOf("Unknown(uint256)")], data));
    }

    [Fact]
    public void DecodePosition_EncodedStruct_TypedView()
    {
        var trader = new Address(Keccak.Hash("trader").AsSpan(12));
        object[] position =
        [
            trader, Bytes32.KeccakOf("ETH-USD"), true, (ulong)1_000_000_000, (ulong)10_000_000_000,
            UInt128.Parse("3000000000000000000000", System.Globalization.CultureInfo.InvariantCulture), 1000u, 500u, (ushort)4200, 7UL,
            (byte)PositionStatus.Open, false,
        ];
        var returnData = AbiCodec.Encode(AbiType.Parse(MarginManagerAbi.PositionTuple), position);

        var view = MarginManagerAbi.DecodePosition(returnData);

        Assert.Equal(
            new PositionView(trader, Bytes32.KeccakOf("ETH-USD"), true, 1_000_000_000, 10_000_000_000,
                UInt128.Parse("3000000000000000000000", System.Globalization.CultureInfo.InvariantCulture), 1000, 500, 4200, 7, PositionStatus.Open, false),
            view);
    }

    [Fact]
    public void EncodeDeployment_ConstructorArguments_AppendedAfterCode()
    {
        var code = Hex.Decode("0x6080604052");
        var signers = AnvilFixture.DevKeys[..3].Select(k => LocalKeySigner.FromHex(k).Address).ToArray();

        var data = MarginManagerAbi.EncodeDeployment(code, Address.Zero, signers[0], signers[1], signers, 2);
        var arguments = AbiCodec.Decode(MarginManagerAbi.ConstructorInputs.Select(p => p.Type).ToArray(), data.AsSpan(code.Length));

        Assert.Equal(code, data[..code.Length]);
        Assert.Equal(signers.Cast<object>(), (object[])arguments[3]);
        Assert.Equal(new BigInteger(2), arguments[4]);
    }

    [Fact]
    public void FromAbiValue_UnknownKind_Rejected()
    {
        var value = new RiskDecision(
            DecisionKind.Open, Bytes32.Zero, Bytes32.Zero, Address.Zero, false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, Bytes32.Zero, Bytes32.Zero).ToAbiValue();
        var decoded = AbiCodec.Decode([RiskDecision.AbiType], AbiCodec.Encode(RiskDecision.AbiType, value))[0];
        ((object[])decoded)[0] = new BigInteger(9);

        Assert.Throws<FormatException>(() => RiskDecision.FromAbiValue(decoded));
    }
}
