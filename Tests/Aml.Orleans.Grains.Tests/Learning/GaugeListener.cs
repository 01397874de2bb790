using System.Diagnostics.Metrics;
using Aml.Orleans.Grains.Telemetry;

namespace Aml.Orleans.Grains.Tests.Learning;

/// <summary>Reads an observable gauge of the engine's meter as an exporter would: one collection per <see cref="Read"/>.</summary>
public sealed class GaugeListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Asset, string Side, double Value)> _values = [];

    /// <summary>Listens to the engine's instrument <paramref name="name"/>.</summary>
    public GaugeListener(string name)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == EngineTelemetry.Name && instrument.Name == name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, value, tags, _) => Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, _) => Record(value, tags));
        _listener.Start();
    }

    /// <summary>
    /// The values the gauge reports for an asset's side now: one per risk grain activation in this process (the test
    /// process hosts other fixtures' clusters, whose grains of the same asset report beside this one's).
    /// </summary>
    public IReadOnlyList<double> Read(string asset, string side)
    {
        _values.Clear();
        _listener.RecordObservableInstruments();
        return [.. _values.Where(v => v.Asset == asset && v.Side == side).Select(v => v.Value)];
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? asset = null, side = null;
        foreach (var tag in tags)
        {
            (asset, side) = tag.Key switch
            {
                "asset" => ((string?)tag.Value, side),
                "side" => (asset, (string?)tag.Value),
                _ => (asset, side),
            };
        }

        _values.Add((asset ?? "", side ?? "", value));
    }
}
