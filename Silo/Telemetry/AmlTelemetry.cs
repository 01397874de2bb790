using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Aml.Orleans.Silo.Telemetry;

/// <summary>The engine's own trace source and meter, so tick → assess → sign → submit → receipt reads as one trace.</summary>
public static class AmlTelemetry
{
    /// <summary>Name of the ActivitySource and the Meter.</summary>
    public const string Name = "Aml.Orleans";

    /// <summary>Spans of the engine's own steps.</summary>
    public static readonly ActivitySource Source = new(Name);

    /// <summary>The engine's metrics.</summary>
    public static readonly Meter Meter = new(Name);
}
