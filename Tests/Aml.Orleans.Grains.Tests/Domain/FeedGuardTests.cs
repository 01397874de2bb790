using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Oracle;

namespace Aml.Orleans.Grains.Tests.Domain;

public sealed class FeedGuardTests
{
    private const ulong Now = 1_767_225_600;
    private const long FeedE8 = 3_000_00000000;
    private static readonly string Hash = "0x" + new string('a', 64);

    // 2 % deviation, feed at most 120 s old, decisions at most 60 s after their price.
    private static readonly MarketGuard Guard = new(true, 200, 120, 60, FeedE8, Now - 10);

    private static Decision Liquidate(long markE8, ulong priceTimestamp, ulong validUntil) => new(
        DecisionKind.Liquidate, Hash, "ETH-USD", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", true, 1_000_000_000, 10_000_000_000,
        1_000, 500, 10_000, 1_200, markE8, priceTimestamp, 1, validUntil, Hash, Hash);

    [Fact]
    public void Violation_InsideEveryLimit_None() =>
        Assert.Null(FeedGuard.Violation(Liquidate(FeedE8 * 102 / 100, Now - 5, Now + 55), Guard, Now));

    [Theory]
    [InlineData(FeedE8 * 102 / 100 + 1, "bps from the feed")]
    [InlineData(FeedE8 * 98 / 100 - 1, "bps from the feed")]
    public void Violation_MarkBeyondTheDeviation_Refused(long markE8, string reason) =>
        Assert.Contains(reason, FeedGuard.Violation(Liquidate(markE8, Now - 5, Now + 55), Guard, Now), StringComparison.Ordinal);

    [Fact]
    public void Violation_LivingLongerThanTheTtlAfterItsPrice_Refused()
    {
        Assert.Null(FeedGuard.Violation(Liquidate(FeedE8, Now - 5, Now + 55), Guard, Now));
        Assert.Contains("decision TTL", FeedGuard.Violation(Liquidate(FeedE8, Now - 5, Now + 56), Guard, Now), StringComparison.Ordinal);
    }

    [Fact]
    public void Violation_FeedOlderThanItsMaxAge_Refused() =>
        Assert.Contains("price feed was updated", FeedGuard.Violation(Liquidate(FeedE8, Now - 5, Now + 55), Guard with { FeedUpdatedAt = Now - 121 }, Now), StringComparison.Ordinal);

    [Fact]
    public void Violation_NoFeedOrLimitsOff_OnlyTheTtlCounts()
    {
        var far = Liquidate(FeedE8 * 2, Now - 5, Now + 55);
        Assert.Null(FeedGuard.Violation(far, Guard with { HasFeed = false }, Now));
        Assert.Null(FeedGuard.Violation(far, Guard with { MaxFeedDeviationBps = 0 }, Now));
        Assert.Null(FeedGuard.Violation(Liquidate(FeedE8, Now - 5, Now + 3_600), MarketGuard.Off, Now));
    }

    [Fact]
    public void ValidUntil_MarketWithTtlCap_NeverLaterThanTheCapAfterThePrice()
    {
        var terms = new MarketTerms(5_000, 50, 2_500, 250, 100, 120, 900, MaxDecisionTtlSeconds: 45);
        var now = DateTimeOffset.FromUnixTimeSeconds((long)Now);

        Assert.Equal(Now - 10 + 45, terms.ValidUntil(now, Now - 10, TimeSpan.FromSeconds(60)));
        Assert.Equal(Now + 30, terms.ValidUntil(now, Now - 10, TimeSpan.FromSeconds(30)));
        Assert.Equal(Now + 60, (terms with { MaxDecisionTtlSeconds = 0 }).ValidUntil(now, Now - 10, TimeSpan.FromSeconds(60)));
    }
}
