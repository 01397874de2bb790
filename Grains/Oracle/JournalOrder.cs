namespace Aml.Orleans.Grains.Oracle;

/// <summary>
/// Keeps a list's order in stored sequence numbers while writing only the rows that changed. The oracle's lists grow at
/// the tail (intake, a transaction sent or mined) and at the head (a requeue), and shrink anywhere: rows already stored
/// keep their numbers, new rows at the head take numbers below the first stored one and new rows at the tail numbers
/// above the last. Anything else (a new row between stored ones, stored numbers out of order) renumbers the whole list.
/// </summary>
public static class JournalOrder
{
    /// <summary>
    /// The sequence number each row of <paramref name="order"/> that must be written gets: every row
    /// <paramref name="mustWrite"/> names, and every row of the list when it had to be renumbered.
    /// <paramref name="stored"/> gives a row's stored number in this list, if it has one; <paramref name="next"/> is a
    /// number above every one ever given, and is moved past those given now.
    /// </summary>
    public static Dictionary<string, long> Assign(
        IReadOnlyList<string> order, Func<string, bool> mustWrite, Func<string, long?> stored, ref long next)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(mustWrite);
        ArgumentNullException.ThrowIfNull(stored);
        var kept = new long?[order.Count];
        int first = -1, last = -1;
        for (var i = 0; i < order.Count; i++)
        {
            kept[i] = mustWrite(order[i]) ? null : stored(order[i]);
            if (kept[i] is not null)
            {
                first = first < 0 ? i : first;
                last = i;
            }
        }

        var assigned = new Dictionary<string, long>(StringComparer.Ordinal);
        if (first < 0 || !KeptInOrder(kept, first, last))
        {
            foreach (var key in order)
            {
                assigned[key] = next++;
            }

            return assigned;
        }

        for (var i = 0; i < first; i++)
        {
            assigned[order[i]] = kept[first]!.Value - (first - i);
        }

        for (var i = last + 1; i < order.Count; i++)
        {
            assigned[order[i]] = kept[last]!.Value + (i - last);
        }

        next = Math.Max(next, kept[last]!.Value + (order.Count - last));
        return assigned;
    }

    /// <summary>True when every row between the first and the last kept one is kept too, with rising numbers.</summary>
    private static bool KeptInOrder(long?[] kept, int first, int last)
    {
        for (var i = first + 1; i <= last; i++)
        {
            if (kept[i] is not { } seq || seq <= kept[i - 1]!.Value)
            {
                return false;
            }
        }

        return true;
    }
}
