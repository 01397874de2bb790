namespace Aml.Orleans.Grains.Markets;

/// <summary>
/// A market's on-chain configuration (the contract's <c>MarketConfig</c>, and of its <c>MarketLimits</c> what a position
/// needs to date and price its decisions) as the engine needs it. A zero limit is off, as on-chain.
/// </summary>
public sealed record MarketTerms(
    uint MaxLeverageX100,
    uint MinMaintenanceMarginBps,
    uint MaxMaintenanceMarginBps,
    uint MaxMarginStepBps,
    uint LiquidationPenaltyBps,
    ulong MaxPriceAgeSeconds,
    ulong TighteningGraceSeconds,
    ulong MaxDecisionTtlSeconds = 0,
    uint BorrowRateBpsPerDay = 0)
{
    /// <summary>
    /// A decision's <c>validUntil</c>: <paramref name="ttl"/> from now, but never more than the market's decision TTL
    /// cap after the price it carries (the contract refuses a signed price that lives longer: a free option).
    /// </summary>
    public ulong ValidUntil(DateTimeOffset now, ulong priceTimestamp, TimeSpan ttl)
    {
        var wanted = (ulong)now.Add(ttl).ToUnixTimeSeconds();
        return MaxDecisionTtlSeconds == 0 ? wanted : Math.Min(wanted, priceTimestamp + MaxDecisionTtlSeconds);
    }
}

/// <summary>The listed markets by asset symbol, loaded from the deployment so engine and contract agree on bounds.</summary>
public sealed class MarketCatalogOptions
{
    /// <summary>Listed markets, e.g. <c>ETH-USD</c>.</summary>
    public Dictionary<string, MarketTerms> Markets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Book shards per market (<c>BookShardKey</c> buckets) where one would hold too many rows, e.g. 16 for a market of
    /// a million positions (62.5k rows, about 12 MB, per shard). Fixed while the market has rows: a change needs a re-seed.
    /// </summary>
    public Dictionary<string, int> BookBuckets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The book shards of <paramref name="asset"/>: its entry in <see cref="BookBuckets"/>, else one.</summary>
    public int BookBucketsFor(string asset) => BookBuckets.TryGetValue(asset, out var buckets) ? buckets : 1;

    /// <summary>The terms of <paramref name="asset"/>, or an error naming the asset when it is not listed.</summary>
    public MarketTerms For(string asset) =>
        Markets.TryGetValue(asset, out var terms)
            ? terms
            : throw new KeyNotFoundException($"market '{asset}' is not listed (listed: {string.Join(", ", Markets.Keys)})");
}
