using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Tests.Domain;

public sealed class TickValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static TickValidator Started(long price = 100_000)
    {
        var validator = new TickValidator(TickLimits.Default);
        Assert.Equal(TickRejection.Accepted, validator.Check(price, Now.AddSeconds(-10), Now));
        return validator;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Check_NonPositivePrice_Rejected(long price) =>
        Assert.Equal(TickRejection.NonPositivePrice, Started().Check(price, Now, Now));

    [Fact]
    public void Check_OlderThanLastAccepted_OutOfOrder() =>
        Assert.Equal(TickRejection.OutOfOrder, Started().Check(100_000, Now.AddSeconds(-11), Now));

    [Fact]
    public void Check_OlderThanMaxAge_Stale() =>
        Assert.Equal(TickRejection.Stale, new TickValidator(TickLimits.Default).Check(100_000, Now.AddMinutes(-1), Now));

    [Fact]
    public void Check_AheadOfClock_FromFuture() =>
        Assert.Equal(TickRejection.FromFuture, Started().Check(100_000, Now.AddMinutes(1), Now));

    [Fact]
    public void Check_SingleFatFingerPrint_HeldAndPriceUnchanged()
    {
        var validator = Started();
        Assert.Equal(TickRejection.UnconfirmedJump, validator.Check(50_000, Now.AddSeconds(-9), Now));
        Assert.Equal(TickRejection.Accepted, validator.Check(100_100, Now.AddSeconds(-8), Now));
        Assert.Equal(100_100, validator.LastPriceE8);
    }

    [Fact]
    public void Check_CrashConfirmedByNextTick_Accepted()
    {
        var validator = Started();
        Assert.Equal(TickRejection.UnconfirmedJump, validator.Check(70_000, Now.AddSeconds(-9), Now));
        Assert.Equal(TickRejection.Accepted, validator.Check(69_500, Now.AddSeconds(-8), Now));
        Assert.Equal(69_500, validator.LastPriceE8);
    }
}
