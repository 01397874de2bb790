using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Positions;
using Microsoft.Extensions.Time.Testing;

namespace Aml.Orleans.Grains.Tests.Positions;

/// <summary>The four decisions: which field comes from where, and how long each is valid.</summary>
public sealed class DecisionFactoryTests
{
    private const string Id = "0x00000000000000000000000000000000000000000000000000000000000000aa";
    private const string Trader = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly DateTimeOffset PriceAt = Now.AddSeconds(-10);

    private static readonly RiskAssessment Assessment = new(
        1_500, 300, 1_234, "0x" + new string('1', 64), "0x" + new string('2', 64), 47_000_00000000, PriceAt, new RiskExplanation([]));

    private static DecisionFactory Factory(ulong maxDecisionTtlSeconds = 0, TimeSpan? ttl = null) => new(
        new MarketCatalogOptions { Markets = new(StringComparer.Ordinal) { ["BTC-USD"] = new MarketTerms(5_000, 50, 2_500, 250, 100, 120, 900, maxDecisionTtlSeconds) } },
        new PositionOptions { DecisionTtl = ttl ?? TimeSpan.FromSeconds(60) },
        new FakeTimeProvider(Now));

    private static PositionState Position() => new()
    {
        Exists = true, Status = PositionStatus.Open, Trader = Trader, Asset = "BTC-USD", IsLong = true, Collateral = 500_000_000,
        Size = 5_000_000_000, EntryPriceE8 = 46_000_00000000, MaxLeverageX100 = 2_000, MaintenanceMarginBps = 250, RiskScoreBps = 900,
        OnChainVersion = 7, ModelHash = "0x" + new string('3', 64), FeaturesHash = "0x" + new string('4', 64),
    };

    [Fact]
    public void Open_Quote_RequestSideAndSizeWithTheModelsTermsAtVersionZero()
    {
        var decision = Factory().Open(Id, new QuoteRequest(Trader, "BTC-USD", false, 500_000_000, 1_000), 5_000_000_000, Assessment);

        Assert.Equal(
            new Decision(DecisionKind.Open, Id, "BTC-USD", Trader, false, 500_000_000, 5_000_000_000, 1_500, 300, 0, 1_234, 47_000_00000000,
                (ulong)PriceAt.ToUnixTimeSeconds(), 0, (ulong)Now.AddSeconds(60).ToUnixTimeSeconds(), Assessment.ModelHash, Assessment.FeaturesHash),
            decision);
    }

    [Fact]
    public void Close_OpenPosition_ChainTermsWithTheMarginInForceAtTheMarketsPrice()
    {
        var decision = Factory().Close(Id, Position(), 400, 45_000_00000000, PriceAt);

        Assert.Equal(
            new Decision(DecisionKind.Close, Id, "BTC-USD", Trader, true, 500_000_000, 5_000_000_000, 2_000, 400, 0, 900, 45_000_00000000,
                (ulong)PriceAt.ToUnixTimeSeconds(), 7, (ulong)Now.AddSeconds(60).ToUnixTimeSeconds(), Position().ModelHash!, Position().FeaturesHash!),
            decision);
    }

    [Fact]
    public void Adjust_Assessment_ModelsCapAndScoreWithTheSteppedMarginAtThePositionsVersion()
    {
        var decision = Factory().Adjust(Id, Position(), Assessment, 275);

        Assert.Equal(
            new Decision(DecisionKind.Adjust, Id, "BTC-USD", Trader, true, 500_000_000, 5_000_000_000, 1_500, 275, 0, 1_234, 47_000_00000000,
                (ulong)PriceAt.ToUnixTimeSeconds(), 7, (ulong)Now.AddSeconds(60).ToUnixTimeSeconds(), Assessment.ModelHash, Assessment.FeaturesHash),
            decision);
    }

    [Fact]
    public void Liquidate_NoModelYet_TermsAsTheyAreWithTheCloseFactorAndEmptyHashes()
    {
        var position = Position();
        (position.ModelHash, position.FeaturesHash) = (null, null);

        var decision = Factory().Liquidate(Id, position, 6_000, 42_000_00000000, PriceAt);

        Assert.Equal(
            new Decision(DecisionKind.Liquidate, Id, "BTC-USD", Trader, true, 500_000_000, 5_000_000_000, 2_000, 250, 6_000, 900, 42_000_00000000,
                (ulong)PriceAt.ToUnixTimeSeconds(), 7, (ulong)Now.AddSeconds(60).ToUnixTimeSeconds(), "", ""),
            decision);
    }

    [Fact]
    public void ValidUntil_MarketCapShorterThanTheTtl_CappedAfterThePrice()
    {
        var decision = Factory(maxDecisionTtlSeconds: 30, ttl: TimeSpan.FromMinutes(5)).Liquidate(Id, Position(), 10_000, 42_000_00000000, PriceAt);

        Assert.Equal((ulong)PriceAt.ToUnixTimeSeconds() + 30, decision.ValidUntil);
    }
}
