using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Oracle;

namespace Aml.Orleans.Grains.Tests.Domain;

public sealed class DecisionBoundsTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly MarketTerms Eth = new(5_000, 50, 2_500, 500, 100, 60, 300);
    private static readonly string Hash = "0x" + new string('a', 64);

    private static Decision Open() => new(
        DecisionKind.Open, Hash, "ETH-USD", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", true,
        Collateral: 1_000_000_000, Size: 10_000_000_000, MaxLeverageX100: 1_000, MaintenanceMarginBps: 500,
        CloseFactorBps: 0, RiskScoreBps: 1_200, MarkPriceE8: 300_000_000_000,
        PriceTimestamp: (ulong)Now.ToUnixTimeSeconds() - 5, PositionVersion: 0,
        ValidUntil: (ulong)Now.ToUnixTimeSeconds() + 60, Hash, Hash);

    [Fact]
    public void Violation_SoundOpen_None() => Assert.Null(DecisionBounds.Violation(Open(), Eth, Now));

    public static TheoryData<string, Func<Decision, Decision>> Violations => new()
    {
        { "maxLeverage", d => d with { MaxLeverageX100 = 6_000 } },
        { "maintenance margin", d => d with { MaintenanceMarginBps = 10 } },
        { "validUntil", d => d with { ValidUntil = (ulong)Now.ToUnixTimeSeconds() } },
        { "older than", d => d with { PriceTimestamp = (ulong)Now.ToUnixTimeSeconds() - 61 } },
        { "above the cap", d => d with { Size = 20_000_000_000 } },
        { "version 0", d => d with { PositionVersion = 3 } },
        { "32-byte", d => d with { ModelHash = "0x12" } },
        { "close factor", d => d with { Kind = DecisionKind.Liquidate, CloseFactorBps = 0 } },
        { "risk score", d => d with { RiskScoreBps = 10_001 } },
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public void Violation_OutOfBounds_NamesTheField(string expected, Func<Decision, Decision> corrupt) =>
        Assert.Contains(expected, DecisionBounds.Violation(corrupt(Open()), Eth, Now));
}
