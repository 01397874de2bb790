using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Risk;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;

namespace Aml.Orleans.Grains.Tests.Learning;

/// <summary>What one replayed hour produced: its candle's time, the long and short assessments, and the drift watch after maturing.</summary>
public sealed record ReplayedHour(DateTimeOffset At, RiskAssessment Long, RiskAssessment Short, DriftStatus Drift);

/// <summary>
/// Replays an asset's real candles into its market grain, hour by hour, and makes one OPEN a side each hour the way the
/// quote and the position grain do: the risk engine worker assesses it (its answer carries the exact inputs), the
/// decision is recorded in the outcome store with those inputs, the outcome grain matures what the candles now cover, and the risk grain reviews
/// the outcomes (shadow scoring, drift watch) as the outcome grain's hourly tick has it do.
/// </summary>
public sealed class MarketReplay(LearningFixture fixture, string asset, CandleSeries series)
{
    private static readonly TraderProfile Newcomer = new("0x0000000000000000000000000000000000000007", 0, 0, 0.05, 0, 0, 0, 0);

    private IMarketGrain Market => fixture.Client.GetGrain<IMarketGrain>(asset);

    private IRiskGrain Risk => fixture.Client.GetGrain<IRiskGrain>(asset);

    private IRiskEngineGrain Engine => fixture.Client.GetGrain<IRiskEngineGrain>(asset);

    /// <summary>Closes the candles of [<paramref name="from"/>, <paramref name="to"/>) with no decisions (the features' warm-up).</summary>
    public async Task WarmUpAsync(DateTimeOffset from, DateTimeOffset to)
    {
        foreach (var candle in series.Between(from, to))
        {
            Assert.True((await Market.CloseCandleAsync(candle.ToMarketCandle())).Accepted, $"{asset} refused the candle of {candle.OpenTime:O}");
        }
    }

    /// <summary>Replays [<paramref name="from"/>, <paramref name="to"/>), one decision a side an hour.</summary>
    public async IAsyncEnumerable<ReplayedHour> HoursAsync(DateTimeOffset from, DateTimeOffset to)
    {
        foreach (var candle in series.Between(from, to))
        {
            Assert.True((await Market.CloseCandleAsync(candle.ToMarketCandle())).Accepted, $"{asset} refused the candle of {candle.OpenTime:O}");
            // The market hands the closed candle's features to the risk grain one-way: price only once it serves them.
            await ClusterFixture.EventuallyAsync(Risk.GetServingAsync, s => s.Features?.AsOf == candle.OpenTime, $"{asset} serves the features of {candle.OpenTime:O}");
            var assessed = new List<RiskAssessment>();
            foreach (var isLong in (bool[])[true, false])
            {
                var result = await Engine.AssessAsync(new RiskRequest(isLong, 1_000_000_000, 1_000, Newcomer));
                Assert.Null(result.Refusal);
                var assessment = result.Assessment!;
                var decision = Decision(isLong, assessment);
                var inputs = assessment.Inputs;
                Assert.NotNull(inputs);
                Assert.True(await fixture.Outcomes.RecordAsync(Hex.Encode(Keccak.Hash($"{asset} {candle.OpenTime:O} {isLong}")), decision, inputs, RiskModelSet.LeverageHorizonHours));
                assessed.Add(assessment);
            }

            await fixture.Client.GetGrain<IOutcomeGrain>(asset).MatureAsync();
            yield return new ReplayedHour(candle.OpenTime, assessed[0], assessed[1], await Risk.ReviewOutcomesAsync());
        }
    }

    /// <summary>
    /// Deactivates the asset's risk grain and waits until a new activation serves (its model loaded again): what a silo's
    /// restart or a rebalance does to it.
    /// </summary>
    public async Task ReactivateRiskAsync()
    {
        var loaded = (await Risk.GetModelAsync()).LoadedAt;
        await Risk.AsReference<global::Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        await ClusterFixture.EventuallyAsync(async () => (await Risk.GetModelAsync()).LoadedAt, at => at != loaded, $"{asset}'s risk grain re-activated");
    }

    private Decision Decision(bool isLong, RiskAssessment a)
    {
        var at = (ulong)a.PriceTime.ToUnixTimeSeconds();
        return new Decision(
            DecisionKind.Open, Hex.Encode(Keccak.Hash($"{asset} position {a.PriceTime:O} {isLong}")), asset, Newcomer.Trader, isLong, 1_000_000_000,
            1_000_000_000L * Math.Min(1_000, a.MaxLeverageX100) / 100, a.MaxLeverageX100, a.MaintenanceMarginBps, 10_000, a.RiskScoreBps, a.MarkPriceE8,
            at, 0, at + 60, a.ModelHash, a.FeaturesHash);
    }
}
