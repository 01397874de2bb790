using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Markets;

/// <summary>What a market keeps across activations: last accepted tick, counters, recent candles (bands are in the book shards).</summary>
[GenerateSerializer, Alias("aml.MarketState")]
public sealed class MarketState
{
    /// <summary>Newest accepted price (E8).</summary>
    [Id(0)] public long LastPriceE8 { get; set; }

    /// <summary>Time of the newest accepted tick.</summary>
    [Id(1)] public DateTimeOffset LastTickAt { get; set; }

    /// <summary>Ticks accepted since the market was created.</summary>
    [Id(2)] public long TicksAccepted { get; set; }

    /// <summary>Ticks refused since the market was created.</summary>
    [Id(3)] public long TicksRejected { get; set; }

    /// <summary>Closed candles, oldest first, bounded to the feature look-back.</summary>
    [Id(4)] public List<MarketCandle> Candles { get; set; } = [];

    // Id 5 held the positions' bands as one blob; they are rows in aml_position_book now. Never reuse it.

    /// <summary>The last refusal, for operators.</summary>
    [Id(6)] public TickRejection LastRejection { get; set; }
}
