using Aml.Orleans.Grains.Domain;

namespace Aml.Orleans.Grains.Markets;

/// <summary>Settings shared by every market grain.</summary>
public sealed class MarketOptions
{
    /// <summary>Tick acceptance limits.</summary>
    public TickLimits Ticks { get; set; } = TickLimits.Default;

    /// <summary>How many closed candles to keep: 30 days of hours plus a margin, the longest feature look-back.</summary>
    public int CandleLookback { get; set; } = 24 * 32;

    /// <summary>
    /// How often dirty market state is written. Ticks can arrive every 10 ms, so state is not written per tick; a
    /// crash loses at most this much of the counters and the last price (the bands are the book shards' rows).
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often a book shard writes what no caller waits for (bands re-armed at a warning, sweep reschedules) and
    /// retries a flush that failed. Upserts do not wait for it: their first waiter starts a flush.
    /// </summary>
    public TimeSpan BookFlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a book shard takes the rows that are due (decisions to expire, retries, reassessments).</summary>
    public TimeSpan BookSweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Due rows a sweep takes per batch.</summary>
    public int BookSweepBatch { get; set; } = 256;
}
