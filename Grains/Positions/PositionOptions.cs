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
}
