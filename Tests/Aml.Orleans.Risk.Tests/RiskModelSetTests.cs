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
    public void FeaturesHash_Input_Keccak256OfTheDocumentedBigEndianFloat32Layout()
    {
        var input = Inputs().First() with { Trader = new TraderFeatures(7, 0.25, 4.5, 30, -0.125, 2) };
        float[] layout = [.. input.MarketFeatures, input.IsLong ? 1 : 0, 10, 0.001f, 7, 0.25f, 4.5f, 30, -0.125f, 2];
        var bytes = layout.SelectMany(v =>
        {
            var b = BitConverter.GetBytes(float.IsNaN(v) ? BitConverter.Int32BitsToSingle(0x7FC00000) : v);
            return BitConverter.IsLittleEndian ? b.Reverse() : b;
        }).ToArray();

        Assert.Equal(Aml.Orleans.Ethereum.Hex.Encode(Aml.Orleans.Ethereum.Keccak.Hash(bytes)), RiskEngine.FeaturesHash(input));
    }

    [Fact]
    public void Assess_LowerMarginCoverage_NarrowerMarginsAndNoLowerCaps()
    {
        using var asTrained = new RiskEngine(models.First);
        using var same = new RiskEngine(models.First, new RiskEngineOptions { MarginCoverage = models.First.Manifest.ThresholdCoverage });
        using var lower = new RiskEngine(models.First, new RiskEngineOptions { MarginCoverage = 0.8 });
        var inputs = Inputs().ToArray();

        var trained = asTrained.AssessBatch(inputs, WalkForward.Unbounded);
        var narrower = lower.AssessBatch(inputs, WalkForward.Unbounded);

        Assert.Equal(trained, same.AssessBatch(inputs, WalkForward.Unbounded));
        Assert.All(trained.Zip(narrower), pair =>
        {
            Assert.True(pair.Second.MaintenanceMarginBps <= pair.First.MaintenanceMarginBps);
            Assert.True(pair.Second.MaxLeverageX100 >= pair.First.MaxLeverageX100);
        });
        Assert.True(trained.Zip(narrower).Count(p => p.Second.MaintenanceMarginBps < p.First.MaintenanceMarginBps) > inputs.Length / 2);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void RiskEngine_MarginCoverageOutsideZeroOne_Refused(double coverage)
    {
        var error = Assert.Throws<ArgumentException>(() => new RiskEngine(models.First, new RiskEngineOptions { MarginCoverage = coverage }));

        Assert.Contains("margin coverage", error.Message, StringComparison.Ordinal);
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
