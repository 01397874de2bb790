namespace Aml.Orleans.Client;

/// <summary>
/// Tick times close to now and strictly increasing, as a feed's are (a market refuses out-of-order ticks). For
/// whatever feeds a market from outside the engine: the load harness and the test fixtures.
/// </summary>
public sealed class TickClock
{
    private long _last;

    /// <summary>Now, or one millisecond after the last time handed out when now is not later; safe across threads.</summary>
    public DateTimeOffset Next()
    {
        while (true)
        {
            var last = Interlocked.Read(ref _last);
            var next = Math.Max(DateTimeOffset.UtcNow.UtcTicks, last + TimeSpan.TicksPerMillisecond);
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
            {
                return new DateTimeOffset(next, TimeSpan.Zero);
            }
        }
    }
}
