using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Tests.Backtest;

/// <summary>Executed liquidations on hand-built paths: trigger, fill, impact, cascade and settlement computed by hand.</summary>
public sealed class LiquidationSimulatorTests
{
    private const double Collateral = 1_000;
    private const double PenaltyBps = 100;

    // A 20x long at 100 with 2.5 % maintenance: liquidation price 100 · (1 - (1/20 - 0.025)) = 97.5.
    private static readonly Terms Tier = new(20, 0.025);

    [Fact]
    public void Hourly_CrossedThenFallsFurther_FillsAtNextHoursLowAndBooksBadDebt()
    {
        var tape = new MarketTape(HandBuiltTape.Hourly((100, 100, 97, 97), (97, 97, 94, 95)));

        var outcome = Run(tape, k: 0, Long(20)).Single();

        // Triggered in hour 29 (low 97 ≤ 97.5); fill = worst of the rest of that bar and the next bar's low = 94.
        // PnL = 20,000 · (94 - 100) / 100 = -1,200 → equity -200: bad debt 200, no penalty.
        Assert.True(outcome.Liquidated);
        Assert.Equal(29, outcome.Trigger!.Value.Hour);
        Assert.False(outcome.Trigger.Value.OnFineBars);
        Assert.Equal(94, outcome.Fill, 9);
        Assert.Equal(200, outcome.BadDebt, 6);
        Assert.Equal(0, outcome.Penalty);
    }

    [Fact]
    public void FiveMinuteBars_FillIsTheWorstOfFifteenMinutes_PenaltyCappedAtEquity()
    {
        // Hour 29 refined: bar 3 touches 97.4, bars 4 and 5 reach 96 and 95.5, bar 6 (outside the 15 minutes) 90.
        var fine = HandBuiltTape.FiveMinute(29, 100,
            (100, 99.5, 99.8), (99.8, 99, 99.2), (99.2, 98.6, 98.8), (98.8, 97.4, 97.6), (97.6, 96, 96.4), (96.4, 95.5, 96), (96, 90, 92),
            (92, 91, 91.5), (91.5, 91, 91.2), (91.2, 91, 91.1), (91.1, 91, 91), (91, 91, 91));
        var tape = new MarketTape(HandBuiltTape.Hourly((100, 100, 90, 91), (91, 91, 80, 85)), fine);

        var outcome = Run(tape, k: 0, Long(20)).Single();

        // Fill = min(97.4, 96, 95.5) = 95.5 (the hourly rule would have said 80). PnL = 20,000 · -0.045 = -900 →
        // equity 100; penalty = min(1 % of 20,000 = 200, 100) = 100, so the trader gets 0 and there is no bad debt.
        Assert.True(outcome.Trigger!.Value.OnFineBars);
        Assert.Equal(HandBuiltTape.Start.AddHours(29).AddMinutes(15), outcome.Trigger.Value.Time);
        Assert.Equal(95.5, outcome.Fill, 9);
        Assert.Equal(0, outcome.BadDebt);
        Assert.Equal(100, outcome.Penalty, 6);
    }

    [Fact]
    public void SameHourLiquidations_ImpactOfTheirSummedNotional_Cascade()
    {
        var tape = new MarketTape(HandBuiltTape.Hourly((100, 100, 97, 97), (97, 97, 94, 95)));

        var alone = Run(tape, k: 1, Long(20)).Single();
        var together = Run(tape, k: 1, Long(20), Long(20), Long(5));

        // Impact = k · σ_day · √(N / ADV): 20,000 alone, 40,000 for the two 20x longs (the 5x long, liquidation price
        // 82.5, is never liquidated and adds nothing).
        var impactAlone = HandBuiltTape.DayVolatility * Math.Sqrt(20_000 / HandBuiltTape.Adv);
        var impactTogether = HandBuiltTape.DayVolatility * Math.Sqrt(40_000 / HandBuiltTape.Adv);
        Assert.Equal(impactAlone, alone.Impact, 12);
        Assert.Equal(94 * (1 - impactAlone), alone.Fill, 9);
        Assert.Equal(-(Collateral + (20_000 * ((94 * (1 - impactAlone)) - 100) / 100)), alone.BadDebt, 6);
        Assert.All(together.Take(2), o =>
        {
            Assert.Equal(impactTogether, o.Impact, 12);
            Assert.Equal(-(Collateral + (20_000 * ((94 * (1 - impactTogether)) - 100) / 100)), o.BadDebt, 6);
        });
        Assert.False(together[2].Liquidated);
        Assert.True(together[0].BadDebt > alone.BadDebt);
    }

    [Fact]
    public void Short_SpikeThroughLiquidationPrice_FillsAtTheHigh()
    {
        // A 10x short at 100 with 5 % maintenance: liquidation price 105; the spike's high 108 and next hour's 106.
        var tape = new MarketTape(HandBuiltTape.Hourly((100, 108, 100, 104), (104, 106, 103, 104)));
        var position = new SimulatedPosition(0, false, 10, 10 * Collateral, Collateral, TraderKind.Aggressive);

        var outcome = Run(tape, k: 0, [new Terms(10, 0.05)], position).Single();

        // PnL = 10,000 · (100 - 108) / 100 = -800 → equity 200; penalty 1 % of 10,000 = 100 ≤ 200.
        Assert.Equal(108, outcome.Fill, 9);
        Assert.Equal(0, outcome.BadDebt);
        Assert.Equal(100, outcome.Penalty, 6);
    }

    [Fact]
    public void Metrics_BadDebtInBpsOfCollateral_CoverageAmongCapped()
    {
        var tape = new MarketTape(HandBuiltTape.Hourly((100, 100, 97, 97), (97, 97, 94, 95)));
        SimulatedPosition[] positions = [Long(20), Long(5)];
        var points = new[] { HandBuiltTape.Decision(tape) };
        var terms = new[] { Tier, Tier };

        var metrics = BacktestMetrics.Compute(points, positions, terms, LiquidationSimulator.Run(tape, points, positions, terms, PenaltyBps, 0));

        // 200 of bad debt over 2,000 of collateral = 1,000 bps; the 20x position is at the cap and liquidated.
        Assert.Equal(0.5, metrics.LiquidationRate);
        Assert.Equal(1_000, metrics.BadDebtBps, 6);
        Assert.Equal(12.5, metrics.MeanLeverage);
        Assert.Equal(0, metrics.CoverageLong);
        Assert.Equal(1, metrics.LiquidationRateAtCap);
    }

    [Fact]
    public void Metrics_BelowCapLiquidationsAndMeanMargin_SayWhereLiquidationsComeFrom()
    {
        var tape = new MarketTape(HandBuiltTape.Hourly((100, 100, 97, 97), (97, 97, 94, 95)));
        SimulatedPosition[] positions = [Long(20), Long(12), Long(5)];
        var points = new[] { HandBuiltTape.Decision(tape) };
        var terms = new[] { Tier, Tier, Tier with { Margin = 0.01 } };

        var metrics = BacktestMetrics.Compute(points, positions, terms, LiquidationSimulator.Run(tape, points, positions, terms, PenaltyBps, 0));

        // Below the 20x cap, the 12x is liquidated at 100·(1 - (1/12 - 2.5 %)) = 94.17, which the 94 low crosses; the
        // 5x with a 1 % margin sits 19 % away and survives.
        Assert.Equal(1, metrics.LiquidationRateAtCap);
        Assert.Equal(0.5, metrics.LiquidationRateBelowCap);
        Assert.Equal(((2 * Tier.Margin) + 0.01) / 3, metrics.MeanMargin, 6);
    }

    private static SimulatedPosition Long(double leverage) => new(0, true, leverage, leverage * Collateral, Collateral, TraderKind.Aggressive);

    private static Outcome[] Run(MarketTape tape, double k, params SimulatedPosition[] positions) =>
        Run(tape, k, positions.Select(_ => Tier).ToArray(), positions);

    private static Outcome[] Run(MarketTape tape, double k, Terms[] terms, params SimulatedPosition[] positions) =>
        LiquidationSimulator.Run(tape, [HandBuiltTape.Decision(tape)], positions, terms, PenaltyBps, k);
}
