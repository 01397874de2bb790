using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Risk;

namespace Aml.Orleans.Grains.Tests.Grains;

[Collection(ClusterCollection.Name)]
public sealed class RiskGrainTests(ClusterFixture fixture)
{
    private static readonly TraderProfile Newcomer = new("0x0000000000000000000000000000000000000001", 0, 0, 0.05, 0, 0, 0, 0);

    [Fact]
    public async Task AssessAsync_SameRequestTwice_SameAnswerWithModelAndFeaturesHash()
    {
        await fixture.FeedBtcMarketAsync();
        var risk = fixture.Client.GetGrain<IRiskGrain>("BTC-USD");
        var request = new RiskRequest(true, 1_000_000_000, 1_000, Newcomer, Explain: true);

        var first = await risk.AssessAsync(request);
        var second = await risk.AssessAsync(request);
        var unexplained = await risk.AssessAsync(request with { Explain = false });

        Assert.Equal(first with { Explanation = null! }, second with { Explanation = null! });
        Assert.Equal((await risk.GetModelAsync()).ModelHash, first.ModelHash);
        Assert.Matches("^0x[0-9a-f]{64}$", first.FeaturesHash);
        Assert.InRange(first.MaxLeverageX100, 100u, 5_000u);
        Assert.InRange(first.MaintenanceMarginBps, 50u, 2_500u);
        Assert.NotEmpty(first.Explanation.TopContributions);
        Assert.Equal(first.Explanation.TopContributions, second.Explanation.TopContributions);
        // A reassessment asks for no explanation: the same terms, no contributions computed.
        Assert.Equal(first with { Explanation = null! }, unexplained with { Explanation = null! });
        Assert.Empty(unexplained.Explanation.TopContributions);
    }

    [Fact]
    public async Task AssessAsync_NoModelSetForTheAsset_RefusedNamingWhatIsMissing()
    {
        var risk = fixture.Client.GetGrain<IRiskGrain>("SOL-USD");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => risk.AssessAsync(new RiskRequest(true, 1_000_000, 500, Newcomer)));

        Assert.Contains("model.json is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseModelAsync_AnotherSet_ServedAtOnceAndAnotherAssetsSetRefused()
    {
        await fixture.FeedBtcMarketAsync();
        var risk = fixture.Client.GetGrain<IRiskGrain>("BTC-USD");
        var before = await risk.GetModelAsync();
        var other = Path.Combine(fixture.ModelsRoot, "BTC-USD-challenger");
        TestModels.TrainBtc(trees: 10).Save(other);

        var after = await risk.UseModelAsync(other);

        Assert.NotEqual(before.ModelHash, after.ModelHash);
        Assert.Equal(after.ModelHash, (await risk.AssessAsync(new RiskRequest(false, 1_000_000_000, 300, Newcomer))).ModelHash);
        await risk.UseModelAsync(before.Directory);
        var eth = fixture.Client.GetGrain<IRiskGrain>("ETH-USD");
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => eth.UseModelAsync(other));
        Assert.Contains("for BTC-USD, not ETH-USD", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RetrainAsync_NoChampion_ChallengerTrainedAndServed()
    {
        var trainer = fixture.Client.GetGrain<IModelTrainerGrain>("ETH-USD");

        var status = await trainer.RetrainAsync();

        var served = await fixture.Client.GetGrain<IRiskGrain>("ETH-USD").GetModelAsync();
        Assert.Equal(status.ModelHash, served.ModelHash);
        Assert.Equal("ETH-USD", RiskModelSet.Load(served.Directory).Manifest.Asset);
    }
}
