namespace Aml.Orleans.Grains.Interfaces;

/// <summary>One price observation. Prices are E8 fixed point (1 USD = 100_000_000).</summary>
[GenerateSerializer, Immutable, Alias("aml.MarketTick")]
public sealed record MarketTick(long PriceE8, DateTimeOffset Timestamp);

/// <summary>A closed candle, the unit the risk features are computed on. Prices E8; volumes are model inputs (floats).</summary>
[GenerateSerializer, Immutable, Alias("aml.MarketCandle")]
public sealed record MarketCandle(
    DateTimeOffset OpenTime,
    long OpenE8,
    long HighE8,
    long LowE8,
    long CloseE8,
    double Volume,
    double? QuoteVolume,
    double? Trades,
    double? TakerBuyVolume);

/// <summary>
/// What a market did with a tick: accepted (and handed to how many book shards, which wake positions on their own) or
/// refused with a reason.
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.TickOutcome")]
public sealed record TickOutcome(TickRejection Rejection, int BookShards)
{
    /// <summary>True when the tick was accepted.</summary>
    public bool Accepted => Rejection == TickRejection.Accepted;
}

/// <summary>A market's state for dashboards and the gateway.</summary>
[GenerateSerializer, Immutable, Alias("aml.MarketSnapshot")]
public sealed record MarketSnapshot(
    string Asset,
    long LastPriceE8,
    DateTimeOffset LastTickAt,
    long TicksAccepted,
    long TicksRejected,
    TickRejection LastRejection,
    int CandlesSeen,
    int WatchedPositions,
    int Bands);

/// <summary>
/// The model-input view of a market at the latest closed candle: the risk features in schema order (NaN where an
/// input is absent), the 24 h quote volume for the impact term, and the latest accepted price.
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.MarketFeatures")]
public sealed record MarketFeatures(
    DateTimeOffset AsOf,
    long LastPriceE8,
    DateTimeOffset LastTickAt,
    IReadOnlyList<string> Names,
    IReadOnlyList<float> Values,
    double QuoteVolume24h);
