using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Protos;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Aml.Orleans.Silo.Services;

/// <summary>Listed markets and their live state, open to everyone (no token needed).</summary>
internal sealed class MarketsService(IClusterClient cluster, IOptions<MarketCatalogOptions> catalog, MarketChainStatus chain) : Markets.MarketsBase
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(250);

    /// <inheritdoc />
    public override async Task<ListMarketsResponse> ListMarkets(ListMarketsRequest request, ServerCallContext context)
    {
        var response = new ListMarketsResponse();
        foreach (var asset in catalog.Value.Markets.Keys.Order(StringComparer.Ordinal))
        {
            response.Markets.Add(await ReadAsync(asset, context.CancellationToken));
        }

        return response;
    }

    /// <inheritdoc />
    public override Task<Market> GetMarket(GetMarketRequest request, ServerCallContext context) => ReadAsync(Listed(request.Asset), context.CancellationToken);

    /// <inheritdoc />
    public override async Task WatchMarket(GetMarketRequest request, IServerStreamWriter<Market> responseStream, ServerCallContext context)
    {
        var asset = Listed(request.Asset);
        Market? last = null;
        using var timer = new PeriodicTimer(WatchInterval);
        do
        {
            var market = await ReadAsync(asset, context.CancellationToken);
            if (!market.Equals(last))
            {
                await responseStream.WriteAsync(market, context.CancellationToken);
                last = market;
            }
        }
        while (await timer.WaitForNextTickAsync(context.CancellationToken));
    }

    private string Listed(string asset)
    {
        if (!AssetSymbol.TryParse(asset, out var symbol))
        {
            throw RpcErrors.InvalidArgument("asset", $"'{asset}' is not an asset symbol like ETH-USD");
        }

        return catalog.Value.Markets.ContainsKey(symbol.Value) ? symbol.Value : throw RpcErrors.NotFound($"market {symbol}");
    }

    private async Task<Market> ReadAsync(string asset, CancellationToken cancellationToken)
    {
        var snapshot = await cluster.GetGrain<IMarketGrain>(asset).GetSnapshotAsync();
        var (halted, mode) = await chain.ReadAsync(asset, cancellationToken);
        var terms = catalog.Value.For(asset);
        return new Market
        {
            Asset = asset,
            LastPriceE8 = snapshot.LastPriceE8,
            LastTickAt = snapshot.LastTickAt == default ? "" : snapshot.LastTickAt.ToString("O"),
            TicksAccepted = snapshot.TicksAccepted,
            TicksRejected = snapshot.TicksRejected,
            LastRejection = snapshot.LastRejection.ToString(),
            WatchedPositions = snapshot.WatchedPositions,
            MaxLeverageX100 = terms.MaxLeverageX100,
            MinMaintenanceMarginBps = terms.MinMaintenanceMarginBps,
            MaxMaintenanceMarginBps = terms.MaxMaintenanceMarginBps,
            LiquidationPenaltyBps = terms.LiquidationPenaltyBps,
            Halted = halted,
            Mode = mode,
        };
    }
}
