using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Domain;

/// <summary>Limits a market applies to incoming ticks.</summary>
/// <param name="MaxAge">A tick older than this (against the grain's clock) is stale.</param>
/// <param name="MaxClockSkew">A tick this far ahead of the grain's clock is refused.</param>
/// <param name="OutlierJumpBps">A move larger than this from the last accepted price needs confirmation.</param>
/// <param name="ConfirmBandBps">A following tick within this distance of the held jump confirms it.</param>
public sealed record TickLimits(TimeSpan MaxAge, TimeSpan MaxClockSkew, long OutlierJumpBps, long ConfirmBandBps)
{
    /// <summary>Defaults for a live feed: 30 s age, 5 s skew, 15 % jumps confirmed within 2 %.</summary>
    public static TickLimits Default { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), 1_500, 200);
}

/// <summary>
/// Decides whether a market accepts a tick. A single print far from the last price is held, not trusted: real
/// crashes are confirmed by the next tick, fat-finger prints are not — and one bad print must never liquidate anyone.
/// </summary>
public sealed class TickValidator(TickLimits limits)
{
    private long? _heldJumpPriceE8;

    /// <summary>The newest accepted price, 0 before the first.</summary>
    public long LastPriceE8 { get; private set; }

    /// <summary>The newest accepted tick time.</summary>
    public DateTimeOffset LastTimestamp { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>Checks a tick against the limits and, when accepted, makes it the newest.</summary>
    public TickRejection Check(long priceE8, DateTimeOffset timestamp, DateTimeOffset now)
    {
        if (priceE8 <= 0)
        {
            return TickRejection.NonPositivePrice;
        }

        if (timestamp <= LastTimestamp)
        {
            return TickRejection.OutOfOrder;
        }

        if (now - timestamp > limits.MaxAge)
        {
            return TickRejection.Stale;
        }

        if (timestamp - now > limits.MaxClockSkew)
        {
            return TickRejection.FromFuture;
        }

        if (LastPriceE8 > 0 && DistanceBps(LastPriceE8, priceE8) > limits.OutlierJumpBps)
        {
            var confirmed = _heldJumpPriceE8 is { } held && DistanceBps(held, priceE8) <= limits.ConfirmBandBps;
            if (!confirmed)
            {
                _heldJumpPriceE8 = priceE8;
                return TickRejection.UnconfirmedJump;
            }
        }

        _heldJumpPriceE8 = null;
        LastPriceE8 = priceE8;
        LastTimestamp = timestamp;
        return TickRejection.Accepted;
    }

    /// <summary>Restores the newest accepted tick after a grain re-activation.</summary>
    public void Restore(long priceE8, DateTimeOffset timestamp)
    {
        LastPriceE8 = priceE8;
        LastTimestamp = timestamp;
    }

    private static long DistanceBps(long from, long to) =>
        (long)(Int128.Abs((Int128)to - from) * Units.BpsScale / from);
}
