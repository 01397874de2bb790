using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Protos;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Aml.Orleans.Silo.Services;

/// <summary>Listed markets and their live state, open to everyone (no token needed).</summary>
internal sealed class MarketsService(
    IClusterClient cluster, IOptions<MarketCatalogOptions> catalog, MarketChainStatus chain, IServiceProvider services, IConfiguration configuration)
    : Markets.MarketsBase
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(250);

    /// <inheritdoc />
    public override async Task<ListCandlesResponse> ListCandles(ListCandlesRequest request, ServerCallContext context)
    {
        var asset = Listed(request.Asset);
        var candles = await cluster.GetGrain<IMarketGrain>(asset).GetCandlesAsync(request.Limit == 0 ? int.MaxValue : (int)Math.Min(request.Limit, int.MaxValue));
        var response = new ListCandlesResponse();
        response.Candles.AddRange(candles.Select(c => new Candle
        {
            OpenTime = c.OpenTime.ToUnixTimeSeconds(), OpenE8 = c.OpenE8, HighE8 = c.HighE8, LowE8 = c.LowE8, CloseE8 = c.CloseE8, Volume = c.Volume,
        }));
        return response;
    }

    /// <inheritdoc />
    public override Task<ChainInfo> GetChain(GetChainRequest request, ServerCallContext context)
    {
        if (services.GetService<Grains.Chain.ChainContext>() is not { } connected)
        {
            throw RpcErrors.FailedPrecondition("this gateway is not connected to a chain");
        }

        // Only a local stack says it is a dev chain (./aml run sets Aml:Web:DevChain): the app then offers its dev wallet.
        var dev = configuration.GetValue("Aml:Web:DevChain", false);
        var d = connected.Deployment;
        var info = new ChainInfo
        {
            ChainId = d.ChainId, MarginManager = d.MarginManager, CollateralToken = d.CollateralToken, DevChain = dev, RpcUrl = dev ? d.RpcUrl : "",
        };
        foreach (var (asset, market) in d.Markets)
        {
            info.MarketIds[asset] = market.MarketId;
        }

        return Task.FromResult(info);
    }

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
        var ratio = VolatilityRatio(await cluster.GetGrain<IMarketGrain>(asset).GetFeaturesAsync());
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
            BorrowRateBpsPerDay = terms.BorrowRateBpsPerDay,
            Halted = halted,
            Mode = mode,
            VolatilityRatio = ratio ?? 0,
            VolatilityRegime = ratio switch
            {
                null => "",
                < 0.75 => "CALM",
                < 1.5 => "NORMAL",
                < 2.5 => "ELEVATED",
                _ => "STRESSED",
            },
        };
    }

    private static double? VolatilityRatio(MarketFeatures? features)
    {
        var index = features?.Names.ToList().IndexOf("vol_ratio_24h_7d") ?? -1;
        return index >= 0 && float.IsFinite(features!.Values[index]) ? Math.Round(features.Values[index], 4) : null;
    }
}
