namespace Aml.Orleans.Risk;

/// <summary>
/// The label the leverage and threshold models learn (see design/RISK.md): how far price moves against a
/// position within a horizon, as a fraction of the entry close.
/// </summary>
public static class MaxAdverseExcursion
{
    /// <summary>For a long: <c>1 - min(low[t+1..t+H]) / close[t]</c>, floored at 0.</summary>
    public static double Long(double entryClose, ReadOnlySpan<double> lowsAfterEntry)
    {
        RequireInputs(entryClose, lowsAfterEntry.Length);
        var minLow = double.PositiveInfinity;
        foreach (var low in lowsAfterEntry)
        {
            minLow = Math.Min(minLow, low);
        }

        return Math.Max(0, 1 - (minLow / entryClose));
    }

    /// <summary>For a short: <c>max(high[t+1..t+H]) / close[t] - 1</c>, floored at 0.</summary>
    public static double Short(double entryClose, ReadOnlySpan<double> highsAfterEntry)
    {
        RequireInputs(entryClose, highsAfterEntry.Length);
        var maxHigh = double.NegativeInfinity;
        foreach (var high in highsAfterEntry)
        {
            maxHigh = Math.Max(maxHigh, high);
        }

        return Math.Max(0, (maxHigh / entryClose) - 1);
    }

    private static void RequireInputs(double entryClose, int horizon)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(entryClose);
        ArgumentOutOfRangeException.ThrowIfZero(horizon);
    }
}
