using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Risk;
using Aml.Orleans.Risk;
using Xunit.Abstractions;

namespace Aml.Orleans.Grains.Tests.Learning;

/// <summary>
/// The drift watch on real data: BTC's champion, trained on the calm stretch of July to mid-October 2022, replayed
/// hour by hour from 2022-11-01 through the FTX crash (2022-11-06..13) into the calmer weeks after.
/// </summary>
[Collection(LearningCollection.Name)]
public sealed class DriftFallbackTests(LearningFixture fixture, ITestOutputHelper output)
{
    private const string Asset = "BTC-USD";

    [Fact]
    public async Task CalmTrainedChampion_ReplayedThroughTheFtxCrash_TripsTheFallbackAndItsMetricThenReturnsWhenCoverageRecovers()
    {
        using var fallbackGauge = new GaugeListener("aml.risk.fallback");
        var series = LearningFixture.Series("BTCUSDT-1h.csv");
        var replay = new MarketReplay(fixture, Asset, series);
        var start = new DateTimeOffset(2022, 11, 1, 0, 0, 0, TimeSpan.Zero);
        await replay.WarmUpAsync(start.AddHours(-FeatureWindow.WarmUp - 24), start);
        var risk = fixture.Client.GetGrain<IRiskGrain>(Asset);
        var champion = fixture.Champions[Asset];
        using var reference = new RiskEngine(champion);
        var market = MarketBounds();

        DateTimeOffset? tripped = null, recovered = null;
        var fallbackDecisions = 0;
        var before = (Long: false, Short: false);
        await foreach (var hour in replay.HoursAsync(start, new DateTimeOffset(2022, 12, 1, 0, 0, 0, TimeSpan.Zero)))
        {
            Assert.Equal(champion.ModelHash, hour.Long.ModelHash);
            // The decisions of this hour were priced under the watch as the previous hour's review left it.
            foreach (var (isLong, assessment, fallback) in (IEnumerable<(bool, RiskAssessment, bool)>)[(true, hour.Long, before.Long), (false, hour.Short, before.Short)])
            {
                var inputs = assessment.Inputs!;
                var expected = fallback ? ConservativePolicy.Narrow(market, inputs.MarketFeatures) : market;
                Assert.Equal([expected.MinLeverageX100, expected.MaxLeverageX100, expected.MinMaintenanceBps, expected.MaxMaintenanceBps, expected.LiquidationFeeBps], inputs.Bounds);
                // Recorded with the bounds it was priced in, a fallback decision recomputes bit for bit like any other.
                var again = reference.Assess(Audit.DecisionVerifier.Input(inputs), expected);
                Assert.Equal((assessment.MaxLeverageX100, assessment.MaintenanceMarginBps, assessment.RiskScoreBps), (again.MaxLeverageX100, again.MaintenanceMarginBps, again.RiskScoreBps));
                if (fallback)
                {
                    fallbackDecisions++;
                    Assert.True(assessment.MaxLeverageX100 <= expected.MaxLeverageX100 && assessment.MaintenanceMarginBps >= ConservativePolicy.MarginBps,
                        $"{hour.At:O}: a fallback decision at {assessment.MaxLeverageX100}x100 and {assessment.MaintenanceMarginBps} bps is outside the fallback's {expected}");
                }
            }

            before = (hour.Drift.Long.Fallback, hour.Drift.Short.Fallback);
            if (tripped is null && hour.Drift.Long.Fallback)
            {
                tripped = hour.At;
                output.WriteLine($"long side falls back at {hour.At:O}: {hour.Drift.Long}, short {hour.Drift.Short}");
                Assert.True(hour.Drift.Long.Coverage < hour.Drift.Target - hour.Drift.Margin, $"tripped at coverage {hour.Drift.Long.Coverage}");
                Assert.Contains(1.0, fallbackGauge.Read(Asset, "long"));
                Assert.Equal((await risk.GetDriftAsync()).Long, hour.Drift.Long);
                await BatchPricesEachSideInItsOwnBoundsAsync(fixture.Client.GetGrain<IRiskEngineGrain>(Asset));
                // The flags are the grain's state: a new activation prices longs by the fallback too, and reports it.
                await replay.ReactivateRiskAsync();
                Assert.Equal((true, false), ((await risk.GetDriftAsync()).Long.Fallback, (await risk.GetDriftAsync()).Short.Fallback));
                Assert.Contains(1.0, fallbackGauge.Read(Asset, "long"));
            }
            else if (tripped is not null && !hour.Drift.Long.Fallback)
            {
                recovered = hour.At;
                output.WriteLine($"long side returns at {hour.At:O}: {hour.Drift.Long} after {fallbackDecisions} fallback decisions");
                Assert.True(hour.Drift.Long.Coverage >= hour.Drift.Target - hour.Drift.Recovery, $"returned at coverage {hour.Drift.Long.Coverage}");
                Assert.Contains(0.0, fallbackGauge.Read(Asset, "long"));
                Assert.DoesNotContain(1.0, fallbackGauge.Read(Asset, "long"));
                break;
            }
        }

        Assert.True(tripped is { } t && t >= new DateTimeOffset(2022, 11, 6, 0, 0, 0, TimeSpan.Zero) && t < new DateTimeOffset(2022, 11, 14, 0, 0, 0, TimeSpan.Zero),
            $"the long side should fall back during the FTX week, tripped at {tripped:O}");
        Assert.True(recovered is not null, "the long side never returned from the fallback by 2022-12-01");
        Assert.True(fallbackDecisions > 0);
    }

    // A book shard's sweep (the batch path) gets the same terms per side as single assessments: longs in the fallback, shorts not.
    private static async Task BatchPricesEachSideInItsOwnBoundsAsync(IRiskEngineGrain engine)
    {
        var trader = new TraderProfile("0x0000000000000000000000000000000000000008", 0, 0, 0.05, 0, 0, 0, 0);
        RiskRequest[] requests = [new(true, 1_000_000_000, 2_000, trader), new(false, 1_000_000_000, 2_000, trader), new(true, 5_000_000_000, 300, trader)];

        var batch = await engine.AssessBatchAsync(requests);

        Assert.Null(batch.Refusal);
        for (var i = 0; i < requests.Length; i++)
        {
            var single = (await engine.AssessAsync(requests[i])).Assessment!;
            // A batch's rows carry no inputs (a sweep only compares terms); everything else is the single answer's.
            Assert.Equal(single with { Explanation = null!, Inputs = null }, batch.Assessments![i] with { Explanation = null! });
        }
    }

    private MarketBounds MarketBounds()
    {
        var terms = fixture.Chain.Deployment.Catalog()[Asset];
        return new MarketBounds(100, terms.MaxLeverageX100, terms.MinMaintenanceMarginBps, terms.MaxMaintenanceMarginBps, terms.LiquidationPenaltyBps);
    }
}
