using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Risk;
using Aml.Orleans.Risk;
using Xunit.Abstractions;

namespace Aml.Orleans.Grains.Tests.Learning;

/// <summary>
/// Shadow challengers on real data, promoted only through the contract's governance delay: ETH's champion is trained on
/// the calm stretch of July to mid-October 2022; from 2022-10-16 on, every decision the serving set makes is also scored
/// by a challenger in shadow, judged once <see cref="TrainerOptions.ShadowDecisions"/> decisions a side have matured.
/// </summary>
[Collection(LearningCollection.Name)]
public sealed class ShadowPromotionTests(LearningFixture fixture, ITestOutputHelper output)
{
    private const string Asset = "ETH-USD";

    private static readonly int PerSide = new TrainerOptions().ShadowDecisions;

    [Fact]
    public async Task Challengers_InShadow_TheBetterPromotedOnlyAfterTheGovernanceDelayTheWorseNever()
    {
        var series = LearningFixture.Series("ETHUSDT-1h.csv");
        var champion = fixture.Champions[Asset].ModelHash;
        // Better: forty trees on the four years before the champion's window ends, crashes included.
        // Deliberately worse: one tree a model, on six calm weeks.
        var better = RiskModelSet.Train(series, new DateTimeOffset(2018, 10, 15, 0, 0, 0, TimeSpan.Zero), LearningFixture.Calm.To, new RiskTrainingOptions { Trees = 40 });
        var worse = RiskModelSet.Train(series, LearningFixture.Calm.From, LearningFixture.Calm.From.AddDays(45), new RiskTrainingOptions { Trees = 1 });
        await fixture.Models.PublishAsync(better);
        await fixture.Models.PublishAsync(worse);
        var risk = fixture.Client.GetGrain<IRiskGrain>(Asset);
        var trainer = fixture.Client.GetGrain<IModelTrainerGrain>(Asset);
        var replay = new MarketReplay(fixture, Asset, series);
        var start = new DateTimeOffset(2022, 10, 16, 0, 0, 0, TimeSpan.Zero);
        await replay.WarmUpAsync(start.AddHours(-FeatureWindow.WarmUp - 24), start);

        var itself = await Assert.ThrowsAsync<ArgumentException>(() => trainer.ChallengeAsync(champion));
        Assert.StartsWith($"challengerHash: {champion} is the set {Asset} serves", itself.Message, StringComparison.Ordinal);
        Assert.Equal(TrainerStages.Shadow, (await trainer.ChallengeAsync(better.ModelHash)).Stage);
        await replay.ReactivateRiskAsync(); // the challenger is the grain's state: a new activation keeps scoring with it
        TrainerStatus? proposed = null, worseVerdict = null;
        await foreach (var hour in replay.HoursAsync(start, new DateTimeOffset(2022, 12, 31, 0, 0, 0, TimeSpan.Zero)))
        {
            // A challenger in shadow never acts: every decision is the serving set's.
            Assert.Equal((await risk.GetModelAsync()).ModelHash, hour.Long.ModelHash);
            var status = await trainer.ReviewAsync();
            if (proposed is null && status.Stage != TrainerStages.Shadow)
            {
                proposed = status;
                output.WriteLine($"{hour.At:O} better: {status.Verdict}");
                await PromoteAfterTheDelayAsync(status);
                Assert.Equal(better.ModelHash, (await risk.GetModelAsync()).ModelHash);
                Assert.Equal(TrainerStages.Shadow, (await trainer.ChallengeAsync(worse.ModelHash)).Stage);
            }
            else if (proposed is not null && status.Stage != TrainerStages.Shadow)
            {
                worseVerdict = status;
                output.WriteLine($"{hour.At:O} worse: {status.Verdict}");
                break;
            }
        }

        Assert.NotNull(worseVerdict);
        Assert.Equal(TrainerStages.None, worseVerdict.Stage);
        Assert.Contains($"challenger {worse.ModelHash} retired: loses over {PerSide} long and {PerSide} short", worseVerdict.Verdict, StringComparison.Ordinal);
        Assert.False(await IsAllowedAsync(worse.ModelHash));
        Assert.Equal(better.ModelHash, (await risk.GetModelAsync()).ModelHash);
        Assert.NotEqual(champion, better.ModelHash);

        // The run left hundreds of matured outcomes: a retrain's risk score learns from every one of them.
        var matured = (await fixture.Outcomes.MaturedOutcomesAsync(Asset)).Count;
        Assert.True(matured >= new RiskTrainingOptions().MinLiveOutcomes, $"{matured} matured outcomes");
        await trainer.RetrainAsync();
        var retrained = await trainer.GetStatusAsync();
        output.WriteLine($"retrain: {retrained.Verdict}");
        Assert.Contains($"risk score learnt from {matured} matured outcomes", retrained.Verdict, StringComparison.Ordinal);
        // Whether it beat the served set on the recent window or not, it acts only through the shadow: still the same set.
        Assert.Equal(retrained.Verdict!.Contains("runs in shadow", StringComparison.Ordinal) ? TrainerStages.Shadow : TrainerStages.None, retrained.Stage);
        Assert.Equal(better.ModelHash, (await risk.GetModelAsync()).ModelHash);

        async Task PromoteAfterTheDelayAsync(TrainerStatus status)
        {
            Assert.Equal(TrainerStages.Proposed, status.Stage);
            Assert.Equal(better.ModelHash, status.ChallengerHash);
            Assert.Contains($"beats the champion over {PerSide} long and {PerSide} short matured decisions", status.Verdict, StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(status.GovernanceOpId));
            // Queued, not registered: the risk grain keeps the champion while the delay runs, however often the trainer looks.
            for (var tick = 0; tick < 3; tick++)
            {
                var waiting = await trainer.ReviewAsync();
                Assert.Equal(TrainerStages.Proposed, waiting.Stage);
                Assert.Contains("waiting for the governance delay", waiting.Verdict, StringComparison.Ordinal);
                Assert.False(await IsAllowedAsync(better.ModelHash));
                Assert.Equal(champion, (await risk.GetModelAsync()).ModelHash);
            }

            await fixture.AdvanceChainAsync(LearningFixture.GovernanceDelay + 1);
            var promoted = await trainer.ReviewAsync();

            Assert.Equal(TrainerStages.None, promoted.Stage);
            Assert.Equal($"promoted {better.ModelHash}: the chain allows it", promoted.Verdict);
            Assert.True(await IsAllowedAsync(better.ModelHash));
        }
    }

    private async Task<bool> IsAllowedAsync(string modelHash)
    {
        using var chain = new global::Aml.Orleans.Grains.Chain.ChainContext(
            fixture.Chain.Deployment, Microsoft.Extensions.Options.Options.Create(new global::Aml.Orleans.Grains.Chain.OracleOptions()));
        return await new global::Aml.Orleans.Grains.Chain.ChainModelRegistry(chain).IsAllowedAsync(modelHash);
    }
}
