using Microsoft.ML;
using Microsoft.ML.Data;

namespace Aml.Orleans.Risk.Tests;

/// <summary>What Risk v2's models promise on data they never saw: per-side coverage, adaptation, calibration, identity.</summary>
public sealed class ModelQualityTests(RiskModelSetTests.Models models) : IClassFixture<RiskModelSetTests.Models>
{
    private static readonly DateTimeOffset HeldBackFrom = RiskModelSetTests.Models.TrainTo;

    [Fact]
    public void WalkForward_HeldBackQuarter_EachSideCoveredWithinTwoPoints()
    {
        using var engine = new RiskEngine(models.First);

        var walked = WalkForward.Run(engine, RiskData.Btc, HeldBackFrom, HeldBackFrom.AddMonths(3));

        Assert.True(walked.Count > 4_000, $"{walked.Count} positions");
        Assert.InRange(WalkForward.Coverage(walked, isLong: true), 0.93, 0.97);
        Assert.InRange(WalkForward.Coverage(walked, isLong: false), 0.93, 0.97);
    }

    [Fact]
    public void Observe_SameObservationSequence_SameStateAndSameDecisions()
    {
        using var first = new RiskEngine(models.First);
        using var second = new RiskEngine(models.First);

        var a = WalkForward.Run(first, RiskData.Btc, HeldBackFrom, HeldBackFrom.AddDays(10));
        var b = WalkForward.Run(second, RiskData.Btc, HeldBackFrom, HeldBackFrom.AddDays(10));

        Assert.Equal(a.Select(p => p.Output), b.Select(p => p.Output));
        Assert.Equal(first.Calibration, second.Calibration);
        Assert.True(first.Calibration.Observations > 400);
        Assert.NotEqual(0.05, first.Calibration.AlphaLong); // the labels did move it
    }

    [Fact]
    public void Observe_StatedAlpha_RecomputesTheDecisionFromAFreshEngine()
    {
        using var adapted = new RiskEngine(models.First);
        var walked = WalkForward.Run(adapted, RiskData.Btc, HeldBackFrom, HeldBackFrom.AddDays(10));
        var last = walked[^1];

        using var fresh = new RiskEngine(models.First, new RiskEngineOptions { LeverageAlpha = last.Output.LeverageAlpha });

        Assert.Equal(last.Output, fresh.Assess(last.Input, WalkForward.Unbounded));
    }

    [Fact]
    public void RiskScore_HeldBackQuarter_BrierAndLogLossBeatTheWindowsOwnBaseRate()
    {
        using var engine = new RiskEngine(models.First);
        var random = new Random(11);
        double[] menu = [2, 3, 5, 10, 20, 25, 50];
        var btc = new MarketBounds(100, 5_000, 50, 2_500, 100);
        var scored = new List<(double P, bool Y)>();
        foreach (var p in WalkForward.Run(engine, RiskData.Btc, HeldBackFrom, HeldBackFrom.AddMonths(3), observe: true))
        {
            var input = p.Input with { RequestedLeverage = menu[random.Next(menu.Length)] };
            var output = engine.Assess(input, btc);
            var leverage = Math.Min(input.RequestedLeverage, output.MaxLeverageX100 / 100.0);
            scored.Add((output.RiskScoreBps / 10_000.0, p.Mae >= (1 / leverage) - (output.MaintenanceMarginBps / 10_000.0)));
        }

        // The strongest constant there is: the held-back window's own realized rate, which no model could know in advance.
        var rate = scored.Average(s => s.Y ? 1.0 : 0);
        var constant = scored.Select(s => (rate, s.Y)).ToList();
        Assert.True(scored.Count(s => s.Y) >= 20, $"{scored.Count(s => s.Y)} liquidations: too few to score");
        Assert.True(ProbabilityScores.Brier(scored) < ProbabilityScores.Brier(constant), $"Brier {ProbabilityScores.Brier(scored)} vs {ProbabilityScores.Brier(constant)}");
        Assert.True(ProbabilityScores.LogLoss(scored) < ProbabilityScores.LogLoss(constant), $"log-loss {ProbabilityScores.LogLoss(scored)} vs {ProbabilityScores.LogLoss(constant)}");
    }

    [Fact]
    public void Manifest_ValidationMetrics_RiskScoreBeatsTheBaseRateAndReliabilityTableCoversTheSamples()
    {
        var metrics = models.First.Manifest.Metrics;

        Assert.True(metrics["risk_brier"] < metrics["risk_brier_base_rate"]);
        Assert.True(metrics["risk_log_loss"] < metrics["risk_log_loss_base_rate"]);
        Assert.Equal(2 * (int)metrics["validation_hours"], models.First.Manifest.Reliability.Sum(b => b.Count));
        Assert.Contains("left out", models.First.Manifest.ModelCard["traderFeatures"], StringComparison.Ordinal);
    }

    [Fact]
    public void CompiledTrees_EveryModel_BitIdenticalToMlNetPredictions()
    {
        var set = models.First;
        var samples = TrainingSet.Build(RiskData.Btc, HeldBackFrom, HeldBackFrom.AddDays(20));
        var excursions = samples.SelectMany(s => new[] { ModelFeatures.Excursion(s.Market, true), ModelFeatures.Excursion(s.Market, false) }).ToList();
        var risks = TrainingSet.RiskSamples(samples, seed: 3).Select(r => r.Row.Features).ToList();

        foreach (var model in new[] { set.Leverage.Mean, set.Leverage.Scale, set.Threshold.Mean, set.Threshold.Scale })
        {
            var engine = set.Context.Model.CreatePredictionEngine<ExcursionRow, ScoreColumn>(model);
            var compiled = CompiledTrees.From(model, ExcursionRow.Width);
            Assert.All(excursions, f => Assert.Equal(BitConverter.SingleToInt32Bits(engine.Predict(new ExcursionRow { Features = f }).Score), BitConverter.SingleToInt32Bits(compiled.Score(f))));
        }

        var risk = set.Context.Model.CreatePredictionEngine<RiskScoreRow, ScoreColumn>(set.RiskScore);
        Assert.All(risks, f => Assert.Equal(BitConverter.SingleToInt32Bits(risk.Predict(new RiskScoreRow { Features = f }).Score), BitConverter.SingleToInt32Bits(set.RiskTrees.Score(f))));
    }

    [Fact]
    public void CompiledTrees_BatchesOfEverySize_BitIdenticalToOneRowAtATime()
    {
        // Sizes around the walk's groups of 8 and blocks of 64 rows (a short last group walks row by row);
        // every tenth row loses two features, so the missing-value flags are walked too.
        var set = models.First;
        var rows = TrainingSet.Build(RiskData.Btc, HeldBackFrom, HeldBackFrom.AddDays(10))
            .Select((s, i) => ModelFeatures.Excursion(s.Market, i % 2 == 0))
            .Select((f, i) => i % 10 == 3 ? [.. f.Select((v, j) => j is 2 or 6 ? float.NaN : v)] : f)
            .ToList();
        var trees = new[] { set.Leverage.MeanTrees, set.Leverage.ScaleTrees, set.Threshold.MeanTrees, set.Threshold.ScaleTrees };

        foreach (var size in new[] { 1, 7, 8, 9, 63, 64, 65, 200 })
        {
            var batch = rows.Take(size).ToList();
            var slots = new float[size * trees[0].SlotsPerRow];
            for (var k = 0; k < size; k++)
            {
                CompiledTrees.FillSlots(batch[k], slots.AsSpan(k * trees[0].SlotsPerRow, trees[0].SlotsPerRow));
            }

            foreach (var ensemble in trees)
            {
                var scores = new float[size];
                ensemble.Score(slots, scores);
                Assert.Equal(batch.Select(f => BitConverter.SingleToInt32Bits(ensemble.Score(f))), scores.Select(BitConverter.SingleToInt32Bits));
            }
        }
    }

    [Fact]
    public void Train_CandlesAtOrAfterTo_ChangedWithoutChangingTheModelHash()
    {
        var to = new DateTimeOffset(2020, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var from = to.AddDays(-150);
        var btc = RiskData.Btc;
        var altered = btc with { Candles = [.. btc.Candles.Select(c => c.OpenTime >= to ? c with { Low = c.Low * 0.5, Close = c.Close * 0.7 } : c)] };
        var options = new RiskTrainingOptions { Trees = 8 };

        var original = RiskModelSet.Train(btc, from, to, options);
        var withOtherFuture = RiskModelSet.Train(altered, from, to, options);

        Assert.Equal(original.ModelHash, withOtherFuture.ModelHash);
        Assert.True(original.Manifest.TrainedTo == to && original.Manifest.TrainedFrom >= from);
    }

    private sealed class ScoreColumn
    {
        [ColumnName("Score")]
        public float Score { get; set; }
    }
}
