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
    /// crash loses at most this much of counters and band changes (positions re-register their bands on their own
    /// periodic re-assessment).
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);
}
