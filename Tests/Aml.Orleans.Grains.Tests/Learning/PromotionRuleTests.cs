using Aml.Orleans.Grains.Risk;

namespace Aml.Orleans.Grains.Tests.Learning;

/// <summary>The shadow verdict on hand-built pairs whose scores are computed here.</summary>
public sealed class PromotionRuleTests
{
    // τ = 0.95: a miss by d costs 0.95 d, an excess of d costs 0.05 d.
    private static readonly LivePrediction Wide = new(0.05, 0.10, 500, 300, 50); // and a sharper risk score: nothing reaches 0.17 here
    private static readonly LivePrediction Tight = new(0.05, 0.04, 500, 300, 100);

    [Fact]
    public void Pinball_MissAndExcess_WeightedByTau()
    {
        Assert.Equal(0.95 * 0.02, LiveScoring.Pinball(0.06, 0.04, 0.05), 12);
        Assert.Equal(0.05 * 0.04, LiveScoring.Pinball(0.06, 0.10, 0.05), 12);
    }

    [Fact]
    public void Score_TwoSides_CoveragePinballAndBrierOnTheDistanceReached()
    {
        // Cap 5x (asked 10x), margin 3 %: the distance is 1/5 − 0.03 = 0.17; a risk score of 100 bps is p = 0.01.
        MaturedPrediction[] rows = [new(true, 0.03, 10, Tight), new(true, 0.05, 10, Tight), new(false, 0.20, 10, Tight)];

        var score = LiveScoring.Score(rows);

        Assert.Equal(new SideScore(2, 0.5, ((0.05 * 0.01) + (0.95 * 0.01)) / 2), score.Long with { Pinball = Math.Round(score.Long.Pinball, 12) });
        Assert.Equal(0, score.Short.Coverage);
        Assert.Equal(((0.01 * 0.01 * 2) + (0.99 * 0.99)) / 3, score.Brier, 12);
    }

    [Fact]
    public void Judge_FewerMaturedThanTheRuleNeedsOnASide_Waits()
    {
        var pairs = Pairs(4, isLong: true, 0.05, Wide, Tight).Concat(Pairs(3, isLong: false, 0.05, Wide, Tight)).ToList();

        var judgement = new PromotionRule(4, 0.95).Judge(pairs);

        Assert.Equal(ShadowVerdict.Wait, judgement.Verdict);
        Assert.Contains("4 long and 3 short decisions matured", judgement.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Judge_ChallengerCoversWhereTheChampionMisses_Promoted()
    {
        // Excursions of 6 %: the tight champion misses every one, the wide challenger covers them.
        var pairs = Pairs(4, true, 0.06, Tight, Wide).Concat(Pairs(4, false, 0.06, Tight, Wide)).ToList();

        var judgement = new PromotionRule(4, 0.95).Judge(pairs);

        Assert.Equal(ShadowVerdict.Promote, judgement.Verdict);
        Assert.Equal(1, judgement.Challenger!.Long.Coverage);
        Assert.Equal(0, judgement.Champion!.Short.Coverage);
    }

    [Fact]
    public void Judge_ChallengerLosesOneSide_RejectedNamingWhatItLost()
    {
        // Longs as above; on shorts (2 % moves) both cover, and the wide quantile pays more excess: it loses the short pinball.
        var pairs = Pairs(4, true, 0.06, Tight, Wide).Concat(Pairs(4, false, 0.02, Tight, Wide)).ToList();

        var judgement = new PromotionRule(4, 0.95).Judge(pairs);

        Assert.Equal(ShadowVerdict.Reject, judgement.Verdict);
        Assert.Contains("short pinball 0.004000 ≥ champion's 0.001000", judgement.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("long pinball", judgement.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Judge_MoreMaturedThanNeeded_OnlyTheFirstPerSideCount()
    {
        // The first four of each side favour the challenger; the later ones would not, and are not looked at.
        var pairs = Pairs(4, true, 0.06, Tight, Wide).Concat(Pairs(4, false, 0.06, Tight, Wide))
            .Concat(Pairs(20, true, 0.01, Tight, Wide)).Concat(Pairs(20, false, 0.01, Tight, Wide)).ToList();

        Assert.Equal(ShadowVerdict.Promote, new PromotionRule(4, 0.95).Judge(pairs).Verdict);
    }

    private static IEnumerable<ShadowPair> Pairs(int count, bool isLong, double mae, LivePrediction champion, LivePrediction challenger) =>
        Enumerable.Range(0, count).Select(_ => new ShadowPair(isLong, mae, 10, champion, challenger));
}
