using System.Globalization;

namespace Aml.Orleans.Benchmarks.Load;

/// <summary>Durations measured by the load harness and the nearest-rank percentiles the report quotes.</summary>
internal sealed class Latencies
{
    private readonly List<double> _milliseconds = [];

    /// <summary>Samples so far.</summary>
    public int Count
    {
        get
        {
            lock (_milliseconds)
            {
                return _milliseconds.Count;
            }
        }
    }

    /// <summary>Adds one sample (thread-safe: concurrent clients record into one set).</summary>
    public void Add(TimeSpan duration)
    {
        lock (_milliseconds)
        {
            _milliseconds.Add(duration.TotalMilliseconds);
        }
    }

    /// <summary>The nearest-rank percentile <paramref name="p"/> (0–100) in milliseconds; NaN without samples.</summary>
    public double Percentile(double p)
    {
        double[] sorted;
        lock (_milliseconds)
        {
            sorted = [.. _milliseconds];
        }

        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>The median in milliseconds.</summary>
    public double P50 => Percentile(50);

    /// <summary>The 99th percentile in milliseconds.</summary>
    public double P99 => Percentile(99);

    /// <summary>A duration in milliseconds as the report prints it: three significant figures.</summary>
    public static string Format(double milliseconds) => double.IsNaN(milliseconds)
        ? "–"
        : milliseconds switch
        {
            >= 100 => milliseconds.ToString("F0", CultureInfo.InvariantCulture),
            >= 10 => milliseconds.ToString("F1", CultureInfo.InvariantCulture),
            >= 1 => milliseconds.ToString("F2", CultureInfo.InvariantCulture),
            _ => milliseconds.ToString("F4", CultureInfo.InvariantCulture),
        };

    /// <summary>A ratio as the report prints it.</summary>
    public static string Ratio(double value, double baseline) => double.IsNaN(value) || double.IsNaN(baseline) || baseline <= 0
        ? "–"
        : (value / baseline).ToString(value / baseline >= 100 ? "N0" : "F2", CultureInfo.InvariantCulture) + "×";
}
