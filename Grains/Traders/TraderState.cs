namespace Aml.Orleans.Grains.Traders;

/// <summary>A trader's running totals; the profile is derived from these, never stored twice.</summary>
[GenerateSerializer, Alias("aml.TraderState")]
public sealed class TraderState
{
    /// <summary>Position ids, oldest first.</summary>
    [Id(0)] public List<string> Positions { get; set; } = [];

    /// <summary>When the trader opened their first position.</summary>
    [Id(1)] public DateTimeOffset? FirstOpenAt { get; set; }

    /// <summary>Sum of leverage over opened positions (for the mean).</summary>
    [Id(2)] public double LeverageSum { get; set; }

    /// <summary>Positions that ended, liquidated or closed.</summary>
    [Id(3)] public int Finished { get; set; }

    /// <summary>Positions that ended in liquidation.</summary>
    [Id(4)] public int Liquidations { get; set; }

    /// <summary>Sum of holding hours over finished positions.</summary>
    [Id(5)] public double HoldingHoursSum { get; set; }

    /// <summary>PnL of the most recent outcomes, newest last, bounded.</summary>
    [Id(6)] public List<long> RecentPnl { get; set; } = [];

    /// <summary>Positions whose outcome is counted, so that a redelivered outcome does not count twice.</summary>
    [Id(7)] public HashSet<string> FinishedPositions { get; set; } = new(StringComparer.Ordinal);
}
