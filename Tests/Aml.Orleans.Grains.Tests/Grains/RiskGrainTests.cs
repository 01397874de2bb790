using Aml.Orleans.Ethereum;
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
        var engine = fixture.Client.GetGrain<IRiskEngineGrain>("BTC-USD");
        var request = new RiskRequest(true, 1_000_000_000, 1_000, Newcomer, Explain: true);

        var first = Priced(await engine.AssessAsync(request));
        var second = Priced(await engine.AssessAsync(request));
        var unexplained = Priced(await engine.AssessAsync(request with { Explain = false }));

        Assert.Equal(Terms(first), Terms(second));
        Assert.Equal((await fixture.Client.GetGrain<IRiskGrain>("BTC-USD").GetModelAsync()).ModelHash, first.ModelHash);
        Assert.Matches("^0x[0-9a-f]{64}$", first.FeaturesHash);
        Assert.InRange(first.MaxLeverageX100, 100u, 5_000u);
        Assert.InRange(first.MaintenanceMarginBps, 50u, 2_500u);
        Assert.NotEmpty(first.Explanation.TopContributions);
        Assert.Equal(first.Explanation.TopContributions, second.Explanation.TopContributions);
        // A reassessment asks for no explanation: the same terms, no contributions computed.
        Assert.Equal(Terms(first), Terms(unexplained));
        Assert.Empty(unexplained.Explanation.TopContributions);
        // The inputs travel with the answer: their bytes hash to the features hash, and they state what was decided.
        var inputs = first.Inputs!;
        Assert.Equal(first.FeaturesHash, Hex.Encode(Keccak.Hash(inputs.FeatureBytes)));
        Assert.Equal(second.Inputs!.FeatureBytes, inputs.FeatureBytes);
        Assert.Equal((first.MaxLeverageX100, first.MaintenanceMarginBps, first.RiskScoreBps, first.ModelHash), (inputs.MaxLeverageX100, inputs.MaintenanceMarginBps, inputs.RiskScoreBps, inputs.ModelHash));
    }

    [Fact]
    public async Task AssessBatchAsync_SameRequestsAsSingles_SameTermsInRequestOrder()
    {
        await fixture.FeedBtcMarketAsync();
        var engine = fixture.Client.GetGrain<IRiskEngineGrain>("BTC-USD");
        RiskRequest[] requests = [new(true, 1_000_000_000, 1_000, Newcomer), new(false, 50_000_000, 300, Newcomer), new(true, 7_000_000, 4_000, Newcomer)];

        var batch = await engine.AssessBatchAsync(requests);
        var singles = await Task.WhenAll(requests.Select(async r => Priced(await engine.AssessAsync(r))));

        Assert.Null(batch.Refusal);
        Assert.Equal(singles.Select(Terms), batch.Assessments!.Select(Terms));
        Assert.All(batch.Assessments!, a => Assert.Null(a.Inputs)); // a sweep only compares terms
    }

    [Fact]
    public async Task AssessAsync_NoModelSetForTheAsset_RefusedNamingWhatIsMissing()
    {
        var engine = fixture.Client.GetGrain<IRiskEngineGrain>("SOL-USD");

        var single = await engine.AssessAsync(new RiskRequest(true, 1_000_000, 500, Newcomer));
        var batch = await engine.AssessBatchAsync([new RiskRequest(true, 1_000_000, 500, Newcomer)]);

        Assert.Null(single.Assessment);
        Assert.Contains("model.json is missing", single.Refusal, StringComparison.Ordinal);
        Assert.StartsWith("SOL-USD: ", single.Refusal, StringComparison.Ordinal);
        Assert.Null(batch.Assessments);
        Assert.Equal(single.Refusal, batch.Refusal);
    }

    [Fact]
    public async Task UseModelAsync_AnotherSet_ServedAtOnceAndAnotherAssetsSetRefused()
    {
        await fixture.FeedBtcMarketAsync();
        var risk = fixture.Client.GetGrain<IRiskGrain>("BTC-USD");
        var engine = fixture.Client.GetGrain<IRiskEngineGrain>("BTC-USD");
        var before = await risk.GetModelAsync();
        var other = Path.Combine(fixture.ModelsRoot, "BTC-USD-challenger");
        TestModels.TrainBtc(trees: 10).Save(other);

        var after = await risk.UseModelAsync(other);

        Assert.NotEqual(before.ModelHash, after.ModelHash);
        Assert.Equal(after.ModelHash, Priced(await engine.AssessAsync(new RiskRequest(false, 1_000_000_000, 300, Newcomer))).ModelHash);
        await risk.UseModelAsync(before.Directory);
        Assert.Equal(before.ModelHash, Priced(await engine.AssessAsync(new RiskRequest(false, 1_000_000_000, 300, Newcomer))).ModelHash);
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

    private static RiskAssessment Priced(RiskResult result) => result.Assessment ?? throw new Xunit.Sdk.XunitException($"refused: {result.Refusal}");

    private static (uint, uint, ushort, string, string, long, DateTimeOffset) Terms(RiskAssessment a) =>
        (a.MaxLeverageX100, a.MaintenanceMarginBps, a.RiskScoreBps, a.ModelHash, a.FeaturesHash, a.MarkPriceE8, a.PriceTime);
}
