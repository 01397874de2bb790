using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Outcomes;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;

namespace Aml.Orleans.Grains.Tests.Outcomes;

/// <summary>Inputs brought back with an open are stored beside a decision only when they are that decision's.</summary>
public sealed class DecisionInputsCheckTests
{
    private static readonly byte[] FeatureBytes = [.. Enumerable.Range(0, 160).Select(i => (byte)i)];
    private static readonly string FeaturesHash = Hex.Encode(Keccak.Hash(FeatureBytes));
    private static readonly string ModelHash = "0x" + new string('3', 64);

    private static readonly Decision Open = new(
        DecisionKind.Open, "0x" + new string('a', 64), "BTC-USD", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", true, 500_000_000, 1_500_000_000,
        1_500, 300, 0, 1_234, 47_000_00000000, 1_767_000_000, 0, 1_767_000_060, ModelHash, FeaturesHash);

    private static DecisionInputs Inputs(byte[]? bytes = null, string? featuresHash = null, string? modelHash = null) => new(
        featuresHash ?? FeaturesHash, modelHash ?? ModelHash, bytes ?? FeatureBytes, [0.5f], true, 3, 0.001, [0, 0.05, 0, 0, 0, 0], [100, 5_000, 50, 2_500, 100],
        0.05, 0.04, 1_500, 300, 1_234);

    [Fact]
    public void Matches_TheDecisionsOwnInputs_True() => Assert.True(DecisionInputsCheck.Matches(Inputs(), Open));

    [Fact]
    public void Matches_InputsOfAnotherModel_False() => Assert.False(DecisionInputsCheck.Matches(Inputs(modelHash: "0x" + new string('4', 64)), Open));

    [Fact]
    public void Matches_InputsNamingAnotherFeaturesHash_False() =>
        Assert.False(DecisionInputsCheck.Matches(Inputs(featuresHash: Hex.Encode(Keccak.Hash("other"))), Open));

    [Fact]
    public void Matches_BytesAlteredUnderTheSameHash_False()
    {
        var altered = (byte[])FeatureBytes.Clone();
        altered[7] ^= 1;

        Assert.False(DecisionInputsCheck.Matches(Inputs(bytes: altered), Open));
    }
}
