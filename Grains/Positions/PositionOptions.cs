namespace Aml.Orleans.Grains.Positions;

/// <summary>How positions decide; their book shard wakes them (bands, due times), nothing runs per position on a timer.</summary>
public sealed class PositionOptions
{
    /// <summary>The oracle grain's key, <c>chainId:contractAddress</c>.</summary>
    public string OracleKey { get; set; } = "";

    /// <summary>Warn the trader when equity falls below this multiple of the requirement (bps; 15000 = 1.5x).</summary>
    public long WarningMultipleBps { get; set; } = 15_000;

    /// <summary>A partial liquidation leaves the rest this far above maintenance (bps of size), so it is not liquidated again at once.</summary>
    public long LiquidationBufferBps { get; set; } = 100;

    /// <summary>How long a signed decision stays valid on-chain.</summary>
    public TimeSpan DecisionTtl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How soon a liquidation that could not go out (refused, frozen, waiting for a price newer than the position's last
    /// change) is looked at again by the book shard's sweep, beside the next tick that crosses its band.
    /// </summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often an open position asks the risk models whether its terms should change.</summary>
    public TimeSpan ReassessInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>An ADJUST goes out only when the margin moves at least this much (bps of size)…</summary>
    public long MarginHysteresisBps { get; set; } = 25;

    /// <summary>…or the leverage cap by this share of itself (bps; 1000 = 10 %)…</summary>
    public long CapHysteresisBps { get; set; } = 1_000;

    /// <summary>…or the risk score by this much (bps).</summary>
    public int ScoreHysteresisBps { get; set; } = 1_000;

    /// <summary>
    /// How old a trader's profile a quote may price with (the silo keeps each trader's last read this long): a profile
    /// moves only when one of their positions opens or ends, and the quote's inputs record the profile it used.
    /// </summary>
    public TimeSpan QuoteProfileMaxAge { get; set; } = TimeSpan.FromSeconds(1);
}
