namespace Aml.Orleans.Grains.Markets;

/// <summary>A market's on-chain configuration (the contract's <c>MarketConfig</c>) as the engine needs it.</summary>
public sealed record MarketTerms(
    uint MaxLeverageX100,
    uint MinMaintenanceMarginBps,
    uint MaxMaintenanceMarginBps,
    uint MaxMarginStepBps,
    uint LiquidationPenaltyBps,
    ulong MaxPriceAgeSeconds,
    ulong TighteningGraceSeconds);

/// <summary>The listed markets by asset symbol, loaded from the deployment so engine and contract agree on bounds.</summary>
public sealed class MarketCatalogOptions
{
    /// <summary>Listed markets, e.g. <c>ETH-USD</c>.</summary>
    public Dictionary<string, MarketTerms> Markets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The terms of <paramref name="asset"/>, or an error naming the asset when it is not listed.</summary>
    public MarketTerms For(string asset) =>
        Markets.TryGetValue(asset, out var terms)
            ? terms
            : throw new KeyNotFoundException($"market '{asset}' is not listed (listed: {string.Join(", ", Markets.Keys)})");
}
