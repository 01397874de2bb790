using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Tests.Backtest;

public sealed class FrontierTests
{
    private static readonly FrontierPoint[] Points =
    [
        new(8, 4, 0.01, 0.5), new(3, 6, 0.02, 1.5), new(1, 10, 0.06, 5.5),
    ];

    [Fact]
    public void At_BetweenTwoPoints_LinearInMeanLeverage()
    {
        var at = Frontier.At(Points, 8);

        // Halfway between (6, 2 %, 1.5 bps) and (10, 6 %, 5.5 bps).
        Assert.True(at.Interpolated);
        Assert.Equal(0.04, at.LiquidationRate, 9);
        Assert.Equal(3.5, at.BadDebtBps, 9);
    }

    [Fact]
    public void At_OutsideTheFrontier_NearestEndFlaggedNotInterpolated()
    {
        var at = Frontier.At(Points, 12);

        Assert.False(at.Interpolated);
        Assert.Equal(0.06, at.LiquidationRate);
    }
}
