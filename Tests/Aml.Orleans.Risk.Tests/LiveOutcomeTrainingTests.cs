namespace Aml.Orleans.Risk.Tests;

/// <summary>The risk score learns from real matured outcomes once there are enough, and only then.</summary>
public sealed class LiveOutcomeTrainingTests
{
    private static readonly DateTimeOffset From = new(2021, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset To = new(2021, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly RiskTrainingOptions Options = new() { Trees = 5 };

    [Fact]
    public void Train_FewerOutcomesThanTheMinimum_SameSetAsWithoutThem()
    {
        var without = RiskModelSet.Train(RiskData.Btc, From, To, Options);
        var few = RiskModelSet.Train(RiskData.Btc, From, To, Options, Outcomes(Options.MinLiveOutcomes - 1));

        Assert.Equal(without.ModelHash, few.ModelHash);
        Assert.False(few.Manifest.Metrics.ContainsKey("risk_live_outcomes"));
    }

    [Fact]
    public void Train_AtTheMinimum_TheRiskScoreLearnsFromThemAndSaysHowMany()
    {
        var without = RiskModelSet.Train(RiskData.Btc, From, To, Options);
        var outcomes = Outcomes(Options.MinLiveOutcomes);

        var with = RiskModelSet.Train(RiskData.Btc, From, To, Options, outcomes);

        Assert.NotEqual(without.ModelHash, with.ModelHash);
        Assert.Equal(Options.MinLiveOutcomes, with.Manifest.Metrics["risk_live_outcomes"]);
        // The excursion models and their calibration are the market history's alone: the same quantiles.
        var market = outcomes.Take(20).Select(o => o.MarketFeatures).ToList();
        Assert.Equal(without.LeverageQuantiles(market), with.LeverageQuantiles(market));
    }

    [Fact]
    public void Train_AnOutcomeWithTheWrongFeatureCount_RefusedNamingIt()
    {
        var outcomes = Outcomes(Options.MinLiveOutcomes).ToList();
        outcomes[7] = outcomes[7] with { MarketFeatures = [1f, 2f] };

        var error = Assert.Throws<ArgumentException>(() => RiskModelSet.Train(RiskData.Btc, From, To, Options, outcomes));

        Assert.StartsWith("liveOutcomes: the outcome of 2021-07-", error.Message, StringComparison.Ordinal);
        Assert.Contains("holds 2 market features", error.Message, StringComparison.Ordinal);
    }

    // Decisions after the training window, one long an hour at 10x with a 1 % margin, labelled by the real 24 h excursion.
    private static List<LiveOutcome> Outcomes(int count)
    {
        var candles = RiskData.Btc.Candles;
        var window = new FeatureWindow();
        var outcomes = new List<LiveOutcome>();
        for (var t = 0; t + 24 < candles.Count && outcomes.Count < count; t++)
        {
            window.Add(candles[t]);
            if (candles[t].OpenTime < To.AddDays(30) || !window.TryGetMarketFeatures(out var features))
            {
                continue;
            }

            var lows = candles.Skip(t + 1).Take(24).Select(c => c.Low).ToArray();
            var reached = MaxAdverseExcursion.Long(candles[t].Close, lows) >= (1 / 10.0) - 0.01;
            outcomes.Add(new LiveOutcome(candles[t].OpenTime, features, true, 10, 0.01, reached));
        }

        return outcomes;
    }
}
