using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Telemetry;

/// <summary>The drift watch's gauges (Prometheus: <c>aml_risk_fallback</c>, <c>aml_risk_live_coverage</c>).</summary>
public static partial class EngineTelemetry
{
    private static readonly ConcurrentDictionary<string, DriftStatus> DriftByAsset = new(StringComparer.Ordinal);

    /// <summary>1 while a side of an asset is priced by the conservative fallback, else 0; reported by the silo hosting its risk grain.</summary>
    public static readonly ObservableGauge<int> RiskFallback = Meter.CreateObservableGauge(
        "aml.risk.fallback",
        () => DriftByAsset.Values.SelectMany(d => Sides(d).Select(s => new Measurement<int>(s.Drift.Fallback ? 1 : 0, new("asset", d.Asset), new("side", s.Name)))),
        description: "1 while the side's live coverage is below target by more than the drift margin and the conservative fallback prices it");

    /// <summary>The champion's live coverage per side over the drift window (absent before a decision matured).</summary>
    public static readonly ObservableGauge<double> RiskLiveCoverage = Meter.CreateObservableGauge(
        "aml.risk.live_coverage",
        () => DriftByAsset.Values.SelectMany(d => Sides(d).Where(s => s.Drift.Coverage is not null)
            .Select(s => new Measurement<double>(s.Drift.Coverage!.Value, new("asset", d.Asset), new("side", s.Name)))),
        description: "share of the champion's last matured decisions per side whose 24 h excursion stayed inside the quantile behind the cap");

    /// <summary>Records an asset's drift watch.</summary>
    public static void Drift(DriftStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        DriftByAsset[status.Asset] = status;
    }

    /// <summary>Stops reporting an asset's watch (its risk grain left this silo).</summary>
    public static void DriftGone(string asset) => DriftByAsset.TryRemove(asset, out _);

    private static (string Name, SideDrift Drift)[] Sides(DriftStatus d) => [("long", d.Long), ("short", d.Short)];
}
