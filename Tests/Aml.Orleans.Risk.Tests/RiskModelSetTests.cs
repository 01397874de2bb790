namespace Aml.Orleans.Risk.Tests;

/// <summary>Trains small real model sets once per class (seconds) and checks what a content-addressed set promises.</summary>
public sealed class RiskModelSetTests(RiskModelSetTests.Models models) : IClassFixture<RiskModelSetTests.Models>
{
    private static readonly MarketBounds Btc = new(100, 5_000, 50, 2_500, 100);

    [Fact]
    public void Train_SameDataAndSeed_SameModelHash() =>
        Assert.Equal(models.First.ModelHash, models.Second.ModelHash);

    [Fact]
    public void Evaluate_HeldBackQuarterAfterTraining_CoverageWithinTwoPointsOfTarget()
    {
        var heldBack = models.First.Evaluate(RiskData.Btc, Models.TrainTo, Models.TrainTo.AddMonths(3));

        Assert.True(heldBack.Samples > 4_000, $"{heldBack.Samples} samples");
        Assert.InRange(heldBack.Coverage, models.First.Manifest.LeverageCoverage - 0.02, models.First.Manifest.LeverageCoverage + 0.02);
    }

    [Fact]
    public void Load_SavedSet_BitIdenticalPredictions()
    {
        var directory = Directory.CreateTempSubdirectory("aml-models-").FullName;
        try
        {
            models.First.Save(directory);
            var loaded = RiskModelSet.Load(directory);
            using var original = new RiskEngine(models.First);
            using var reloaded = new RiskEngine(loaded);

            Assert.Equal(models.First.ModelHash, loaded.ModelHash);
            foreach (var input in Inputs())
            {
                Assert.Equal(original.Assess(input, Btc), reloaded.Assess(input, Btc));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Load_AlteredFile_RefusedNamingTheHashes()
    {
        var directory = Directory.CreateTempSubdirectory("aml-models-").FullName;
        try
        {
            models.First.Save(directory);
            File.AppendAllText(Path.Combine(directory, "risk.zip"), "x");

            var error = Assert.Throws<InvalidDataException>(() => RiskModelSet.Load(directory));

            Assert.Contains("altered", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void AssessBatch_SameInputs_SameAsOneByOne()
    {
        using var engine = new RiskEngine(models.First);
        var inputs = Inputs().ToArray();

        var batch = engine.AssessBatch(inputs, Btc);

        Assert.Equal(inputs.Select(i => engine.Assess(i, Btc)), batch);
    }

    [Fact]
    public void Assess_AnyMarket_ClampedToTheMarketBounds()
    {
        using var engine = new RiskEngine(models.First);
        var tight = new MarketBounds(100, 300, 400, 500, 100);

        foreach (var input in Inputs())
        {
            var output = engine.Assess(input, tight);
            Assert.InRange(output.MaxLeverageX100, 100u, 300u);
            Assert.InRange(output.MaintenanceMarginBps, 400u, 500u);
            Assert.InRange(output.RiskScoreBps, (ushort)0, (ushort)10_000);
            Assert.Equal(models.First.ModelHash, output.ModelHash);
        }
    }

    [Fact]
    public void Assess_HigherVolatilityRegime_LowerLeverageCap()
    {
        using var engine = new RiskEngine(models.First);
        var calm = Inputs().OrderBy(i => i.MarketFeatures[3]).First();
        var stormy = Inputs().OrderBy(i => i.MarketFeatures[3]).Last();

        Assert.True(engine.Assess(stormy, Btc).MaxLeverageX100 < engine.Assess(calm, Btc).MaxLeverageX100);
    }

    [Fact]
    public void FeaturesHash_OneFeatureChanged_DifferentHash()
    {
        var input = Inputs().First();
        var changed = input with { MarketFeatures = [.. input.MarketFeatures[..^1], input.MarketFeatures[^1] + 1] };

        Assert.NotEqual(RiskEngine.FeaturesHash(input), RiskEngine.FeaturesHash(changed));
        Assert.Equal(RiskEngine.FeaturesHash(input), RiskEngine.FeaturesHash(input with { }));
    }

    [Fact]
    public void Explain_Input_TopContributionsOfTheModels()
    {
        using var engine = new RiskEngine(models.First);

        var top = engine.Explain(Inputs().First(), 5);

        Assert.Equal(5, top.Count);
        Assert.All(top, c => Assert.Contains(c.Model, new[] { "leverage", "threshold", "risk" }));
        Assert.True(Math.Abs(top[0].Amount) >= Math.Abs(top[^1].Amount));
    }

    private static IEnumerable<RiskInput> Inputs()
    {
        var window = new FeatureWindow();
        var i = 0;
        foreach (var candle in RiskData.Btc.Between(Models.TrainTo.AddDays(-40), Models.TrainTo.AddDays(30)))
        {
            window.Add(candle);
            if (candle.OpenTime >= Models.TrainTo && i++ % 37 == 0 && window.TryGetMarketFeatures(out var features))
            {
                yield return new RiskInput(features, i % 2 == 0, 10, 0.001, TraderFeatures.Newcomer);
            }
        }
    }

    /// <summary>Two model sets trained the same way on three real years of BTC (2019-2021).</summary>
    public sealed class Models
    {
        public static readonly DateTimeOffset TrainFrom = new(2019, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public static readonly DateTimeOffset TrainTo = new(2022, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public RiskModelSet First { get; } = RiskModelSet.Train(RiskData.Btc, TrainFrom, TrainTo, new RiskTrainingOptions { Trees = 40 });

        public RiskModelSet Second { get; } = RiskModelSet.Train(RiskData.Btc, TrainFrom, TrainTo, new RiskTrainingOptions { Trees = 40 });
    }
}
