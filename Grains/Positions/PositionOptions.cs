namespace Aml.Orleans.Grains.Positions;

/// <summary>How positions watch themselves.</summary>
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

    /// <summary>How often a live position looks at its market by itself (beside the band wake-ups).</summary>
    public TimeSpan MonitorInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often an open position asks the risk models whether its terms should change.</summary>
    public TimeSpan ReassessInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>An ADJUST goes out only when the margin moves at least this much (bps of size)…</summary>
    public long MarginHysteresisBps { get; set; } = 25;

    /// <summary>…or the leverage cap by this share of itself (bps; 1000 = 10 %)…</summary>
    public long CapHysteresisBps { get; set; } = 1_000;

    /// <summary>…or the risk score by this much (bps).</summary>
    public int ScoreHysteresisBps { get; set; } = 1_000;
}
