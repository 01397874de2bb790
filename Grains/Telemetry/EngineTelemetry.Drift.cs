using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Telemetry;

/// <summary>The drift watch's gauges (Prometheus: <c>aml_risk_fallback</c>, <c>aml_risk_live_coverage</c>).</summary>
public static partial class EngineTelemetry
{
    // By the reporting activation's watch, not by asset: a process hosting two clusters (tests) reports each grain's own
    // series, and an activation leaving removes only its own.
    private static readonly ConcurrentDictionary<object, DriftStatus> DriftByAsset = new(ReferenceEqualityComparer.Instance);

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

    /// <summary>Records the drift watch of the activation that owns <paramref name="watch"/>.</summary>
    public static void Drift(object watch, DriftStatus status)
    {
        ArgumentNullException.ThrowIfNull(watch);
        ArgumentNullException.ThrowIfNull(status);
        DriftByAsset[watch] = status;
    }

    /// <summary>Stops reporting a watch (its risk grain's activation left this silo).</summary>
    public static void DriftGone(object watch) => DriftByAsset.TryRemove(watch, out _);

    private static (string Name, SideDrift Drift)[] Sides(DriftStatus d) => [("long", d.Long), ("short", d.Short)];
}
