namespace Aml.Orleans.Risk.Tests;

/// <summary>Adaptive conformal inference after a regime break the training never saw, on candles built for it.</summary>
public sealed class AdaptationTests
{
    [Fact]
    public void Observe_DriftAfterTraining_AciRecoversEachSidesCoverageWhereAFixedOffsetMissesIt()
    {
        // 250 calm driftless days to train on, then 90 days of a steady fall (0.3 σ per hour): a long's 24 h excursion
        // now runs far beyond what the calm year's scores allow, and a short's far within it.
        var series = SyntheticMarket.Build("SYN-USD", 5, (6_000, 0.01, 0), (2_160, 0.01, -0.003));
        var breakAt = SyntheticMarket.Start.AddHours(6_000);
        var models = RiskModelSet.Train(series, SyntheticMarket.Start, breakAt, new RiskTrainingOptions { Trees = 30 });
        using var fixedOffset = new RiskEngine(models, new RiskEngineOptions { AdaptationRate = 0 });
        using var adaptive = new RiskEngine(models);

        var still = WalkForward.Run(fixedOffset, series, breakAt, breakAt.AddDays(88));
        var adapted = WalkForward.Run(adaptive, series, breakAt, breakAt.AddDays(88));
        var afterTheFirstMonth = adapted.Where(p => p.Time >= breakAt.AddDays(30)).ToList();

        Assert.True(WalkForward.Coverage(still, isLong: true) < 0.90, $"the break is real: fixed long coverage {WalkForward.Coverage(still, true)}");
        Assert.InRange(WalkForward.Coverage(afterTheFirstMonth, isLong: true), 0.93, 0.97);
        Assert.InRange(WalkForward.Coverage(afterTheFirstMonth, isLong: false), 0.93, 0.97);
        Assert.True(adaptive.Calibration.AlphaLong < 0.05 && adaptive.Calibration.AlphaShort > 0.05, $"{adaptive.Calibration}");
    }

    [Fact]
    public void Observe_BurstOfMissesThenCalm_ForgettingReleasesTheDebtWherePlainAciKeepsIt()
    {
        var series = SyntheticMarket.Build("SYN-USD", 5, (6_000, 0.01, 0), (200, 0.01, 0));
        var breakAt = SyntheticMarket.Start.AddHours(6_000);
        var models = RiskModelSet.Train(series, SyntheticMarket.Start, breakAt, new RiskTrainingOptions { Trees = 30 });
        using var plain = new RiskEngine(models, new RiskEngineOptions { Forgetting = 0 });
        using var forgetting = new RiskEngine(models, new RiskEngineOptions { Forgetting = 0.05 });
        var input = WalkForward.Run(plain, series, breakAt, breakAt.AddDays(1), observe: false)[0].Input with { IsLong = true };

        // A storm: 24 labels in a row far beyond any quantile (a 90 % excursion), then 60 calm ones (0.01 %).
        var (plainAfterStorm, forgettingAfterStorm) = (0.0, 0.0);
        foreach (var (excursion, k) in Enumerable.Repeat(0.9, 24).Concat(Enumerable.Repeat(1e-4, 60)).Select((e, k) => (e, k)))
        {
            plain.Observe(input, excursion, plain.Calibration.AlphaLong);
            forgetting.Observe(input, excursion, forgetting.Calibration.AlphaLong);
            if (k == 23)
            {
                (plainAfterStorm, forgettingAfterStorm) = (plain.Calibration.AlphaLong, forgetting.Calibration.AlphaLong);
            }
        }

        // By hand, plain ACI: 0.05 − 24·0.005·0.95 = −0.064 after the storm, + 60·0.005·0.05 = −0.049 after the calm.
        Assert.Equal(-0.049, plain.Calibration.AlphaLong, 9);
        // With ρ = 0.05 (α += ρ·(0.05 − α) after each step) the storm only takes α to −0.0139, and 60 calm labels bring it
        // to 0.0516 (by the same recurrence: hits alone would settle at 0.05 + γ·0.05·(1 − ρ)/ρ = 0.05475).
        Assert.Equal(-0.064, plainAfterStorm, 9);
        Assert.Equal(-0.0138979906, forgettingAfterStorm, 9);
        Assert.Equal(0.0515874009, forgetting.Calibration.AlphaLong, 9);
        Assert.Equal(0.05, forgetting.Calibration.AlphaShort);
        Assert.Throws<ArgumentException>(() => new RiskEngine(models, new RiskEngineOptions { Forgetting = 1.5 }));
    }

    [Fact]
    public void Observe_BatchedDecisionsWithTheirStatedAlpha_AdaptLikeRememberedDecisions()
    {
        var series = SyntheticMarket.Build("SYN-USD", 5, (6_000, 0.01, 0), (1_440, 0.01, -0.003));
        var breakAt = SyntheticMarket.Start.AddHours(6_000);
        var models = RiskModelSet.Train(series, SyntheticMarket.Start, breakAt, new RiskTrainingOptions { Trees = 30 });
        using var remembered = new RiskEngine(models);
        using var stated = new RiskEngine(models);
        using var current = new RiskEngine(models);

        var walked = WalkForward.Run(remembered, series, breakAt, breakAt.AddDays(55));
        var pending = new Queue<(WalkedPosition Position, double Alpha)>();
        foreach (var position in walked)
        {
            while (pending.Count > 0 && pending.Peek().Position.Time.AddHours(24) <= position.Time)
            {
                var (matured, alpha) = pending.Dequeue();
                stated.Observe(matured.Input, matured.Mae, alpha);
                current.Observe(matured.Input with { }, matured.Mae);
            }

            var output = stated.AssessBatch([position.Input], WalkForward.Unbounded)[0];
            current.AssessBatch([position.Input], WalkForward.Unbounded);
            Assert.Equal(position.Output, output);
            pending.Enqueue((position, output.LeverageAlpha));
        }

        // Judging each label at the α of the moment it matures (a fresh input) counts the crash's misses differently.
        Assert.Equal(stated.Calibration.Observations, current.Calibration.Observations);
        Assert.NotEqual(stated.Calibration, current.Calibration);
        Assert.Throws<ArgumentOutOfRangeException>(() => stated.Observe(walked[0].Input, 0.01, double.NaN));
    }
}
