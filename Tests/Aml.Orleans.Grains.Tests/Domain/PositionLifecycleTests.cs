using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Tests.Domain;

public sealed class PositionLifecycleTests
{
    [Theory]
    [InlineData(PositionStatus.Requested, PositionStatus.Pending)]
    [InlineData(PositionStatus.Pending, PositionStatus.Open)]
    [InlineData(PositionStatus.Open, PositionStatus.Liquidating)]
    [InlineData(PositionStatus.Liquidating, PositionStatus.Open)]
    [InlineData(PositionStatus.Closing, PositionStatus.Closed)]
    public void Move_Allowed_ReturnsTarget(PositionStatus from, PositionStatus to) =>
        Assert.Equal(to, PositionLifecycle.Move(from, to));

    [Theory]
    [InlineData(PositionStatus.Requested, PositionStatus.Open)]
    [InlineData(PositionStatus.Closed, PositionStatus.Open)]
    [InlineData(PositionStatus.Liquidated, PositionStatus.Liquidating)]
    public void Move_NotAllowed_Throws(PositionStatus from, PositionStatus to) =>
        Assert.Throws<InvalidOperationException>(() => PositionLifecycle.Move(from, to));

    [Fact]
    public void IsFinal_EveryState_OnlyClosedLiquidatedRejected() =>
        Assert.Equal(
            [PositionStatus.Closed, PositionStatus.Liquidated, PositionStatus.Rejected],
            Enum.GetValues<PositionStatus>().Where(PositionLifecycle.IsFinal));
}
