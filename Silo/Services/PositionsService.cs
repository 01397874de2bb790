using System.Security.Cryptography;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Protos;
using Aml.Orleans.Silo.Auth;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Decision = Aml.Orleans.Grains.Interfaces.Decision;
using Position = Aml.Orleans.Protos.Position;
using QuoteRequest = Aml.Orleans.Protos.QuoteRequest;

namespace Aml.Orleans.Silo.Services;

/// <summary>
/// A trader's positions: quote, open with their signature, read, watch. Every call acts for the signed-in wallet;
/// a position of someone else is NOT_FOUND (its existence is not the caller's business).
/// </summary>
[Authorize]
internal sealed class PositionsService(IClusterClient cluster, IServiceProvider services) : Positions.PositionsBase
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(250);

    /// <inheritdoc />
    public override async Task<QuoteResponse> Quote(QuoteRequest request, ServerCallContext context)
    {
        var trader = Caller(context);
        RequireAsset(request.Asset);
        if (request.Collateral <= 0)
        {
            throw RpcErrors.InvalidArgument("collateral", $"{request.Collateral} must be positive (collateral units, 1e-6 USDC)");
        }

        if (request.RequestedLeverageX100 < 100)
        {
            throw RpcErrors.InvalidArgument("requested_leverage_x100", $"{request.RequestedLeverageX100} is below 100 (1.00x)");
        }

        // A fresh id nobody can guess or collide with: keccak(trader ‖ 16 random bytes).
        var positionId = Hex.Encode(Keccak.Hash([.. Address.Parse(trader).Bytes, .. RandomNumberGenerator.GetBytes(16)]));
        var quote = await cluster.GetGrain<IPositionGrain>(positionId).QuoteAsync(
            new Grains.Interfaces.QuoteRequest(trader, request.Asset, request.IsLong, request.Collateral, request.RequestedLeverageX100));
        var response = new QuoteResponse { Accepted = quote.Accepted, Reason = quote.Reason ?? "", PositionId = quote.Accepted ? positionId : "" };
        if (quote.Decision is { } decision)
        {
            response.Decision = ToProto(decision);
            response.Digest = quote.Digest ?? "";
        }

        foreach (var c in quote.Explanation?.TopContributions ?? [])
        {
            response.Explanation.Add(new Protos.FeatureContribution { Model = c.Model, Feature = c.Feature, Value = c.Value, Contribution = c.Contribution });
        }

        return response;
    }

    /// <inheritdoc />
    public override async Task<Position> Open(OpenRequest request, ServerCallContext context)
    {
        var position = await OwnedAsync(request.PositionId, context);
        RequireHex(request.Digest, 32, "digest");
        RequireHex(request.TraderSignature, 65, "trader_signature");
        var result = await cluster.GetGrain<IPositionGrain>(request.PositionId).OpenAsync(new OpenPositionCommand(request.Digest, request.TraderSignature));
        return result.Accepted
            ? ToProto(result.Position!)
            : throw RpcErrors.FailedPrecondition(result.Reason ?? $"position {position.PositionId} cannot be opened");
    }

    /// <inheritdoc />
    public override async Task<Position> Get(GetPositionRequest request, ServerCallContext context) =>
        ToProto(await OwnedAsync(request.PositionId, context));

    /// <inheritdoc />
    public override async Task<ListPositionsResponse> ListMine(ListMineRequest request, ServerCallContext context)
    {
        var trader = Caller(context);
        var response = new ListPositionsResponse();
        foreach (var id in await cluster.GetGrain<ITraderGrain>(trader).ListPositionsAsync())
        {
            if (await cluster.GetGrain<IPositionGrain>(id).GetSnapshotAsync() is { } snapshot)
            {
                response.Positions.Add(ToProto(snapshot));
            }
        }

        return response;
    }

    /// <inheritdoc />
    public override async Task<WalletCall> AddCollateral(AddCollateralRequest request, ServerCallContext context)
    {
        var position = await OwnedAsync(request.PositionId, context);
        if (request.Amount <= 0)
        {
            throw RpcErrors.InvalidArgument("amount", $"{request.Amount} must be positive (collateral units, 1e-6 USDC)");
        }

        if (position.Status is not (Grains.Interfaces.PositionStatus.Open or Grains.Interfaces.PositionStatus.Adjusting or Grains.Interfaces.PositionStatus.Liquidating))
        {
            throw RpcErrors.FailedPrecondition($"position {request.PositionId} is {position.Status}: only a live position takes collateral");
        }

        var chain = services.GetService<Grains.Chain.ChainContext>() ?? throw RpcErrors.FailedPrecondition("this gateway is not connected to a chain");
        var data = MarginManagerAbi.Function("addCollateral").EncodeCall(Bytes32.Parse(request.PositionId), checked((UInt128)request.Amount));
        return new WalletCall { ChainId = chain.Deployment.ChainId, To = chain.Contract.Contract.ToString(), Data = Hex.Encode(data) };
    }

    /// <inheritdoc />
    public override async Task<Protos.SignedDecision> RequestClose(GetPositionRequest request, ServerCallContext context)
    {
        await OwnedAsync(request.PositionId, context);
        try
        {
            var signed = await cluster.GetGrain<IPositionGrain>(request.PositionId).RequestCloseAsync();
            return new Protos.SignedDecision
            {
                Decision = ToProto(signed.Decision), Digest = signed.Digest, SignerBitmap = signed.SignerBitmap, Signatures = signed.Signatures,
            };
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            throw RpcErrors.FailedPrecondition(ex.Message);
        }
    }

    /// <inheritdoc />
    public override async Task Watch(GetPositionRequest request, IServerStreamWriter<Position> responseStream, ServerCallContext context)
    {
        await OwnedAsync(request.PositionId, context);
        var grain = cluster.GetGrain<IPositionGrain>(request.PositionId);
        Position? last = null;
        using var timer = new PeriodicTimer(WatchInterval);
        do
        {
            var current = ToProto((await grain.GetSnapshotAsync())!);
            if (!current.Equals(last))
            {
                await responseStream.WriteAsync(current, context.CancellationToken);
                last = current;
            }
        }
        while (await timer.WaitForNextTickAsync(context.CancellationToken));
    }

    private async Task<PositionSnapshot> OwnedAsync(string positionId, ServerCallContext context)
    {
        var trader = Caller(context);
        RequireHex(positionId, 32, "position_id");
        var snapshot = await cluster.GetGrain<IPositionGrain>(positionId).GetSnapshotAsync();
        var isAdmin = context.GetHttpContext().User.IsInRole(WalletSignIn.AdminRole);
        return snapshot is not null && (isAdmin || string.Equals(snapshot.Trader, trader, StringComparison.OrdinalIgnoreCase))
            ? snapshot
            : throw RpcErrors.NotFound($"position {positionId}");
    }

    private static string Caller(ServerCallContext context) =>
        context.GetHttpContext().User.Identity?.Name ?? throw RpcErrors.Unauthenticated("sign in first (Auth/SignIn)");

    private static void RequireAsset(string asset)
    {
        if (!AssetSymbol.TryParse(asset, out _))
        {
            throw RpcErrors.InvalidArgument("asset", $"'{asset}' is not an asset symbol like ETH-USD");
        }
    }

    private static void RequireHex(string value, int bytes, string field)
    {
        var ok = value is not null && value.Length == 2 + (2 * bytes) && value.StartsWith("0x", StringComparison.Ordinal) &&
                 value.AsSpan(2).ContainsAnyExcept("0123456789abcdefABCDEF") == false;
        if (!ok)
        {
            throw RpcErrors.InvalidArgument(field, $"expected 0x and {2 * bytes} hex digits ({bytes} bytes)");
        }
    }

    internal static Position ToProto(PositionSnapshot s) => new()
    {
        PositionId = s.PositionId, Trader = s.Trader, Asset = s.Asset, IsLong = s.IsLong, Status = s.Status.ToString(),
        Collateral = s.Collateral, Size = s.Size, EntryPriceE8 = s.EntryPriceE8, MaxLeverageX100 = s.MaxLeverageX100,
        MaintenanceMarginBps = s.MaintenanceMarginBps, RiskScoreBps = s.RiskScoreBps, OnChainVersion = s.OnChainVersion,
        LiquidationPriceE8 = s.LiquidationPriceE8, WarningPriceE8 = s.WarningPriceE8, MarkPriceE8 = s.LastMarkPriceE8,
        MarginRatioBps = s.MarginRatioBps, Suggestion = s.Suggestion.ToString(), SuggestionReason = s.SuggestionReason ?? "",
        LastDecisionDigest = s.LastDecisionDigest ?? "", ModelHash = s.ModelHash ?? "", UpdatedAt = AuthService.Iso(s.UpdatedAt),
    };

    internal static Protos.Decision ToProto(Decision d) => new()
    {
        Kind = (uint)d.Kind, PositionId = d.PositionId, Asset = d.Asset, Trader = d.Trader, IsLong = d.IsLong, Collateral = d.Collateral,
        Size = d.Size, MaxLeverageX100 = d.MaxLeverageX100, MaintenanceMarginBps = d.MaintenanceMarginBps, CloseFactorBps = d.CloseFactorBps,
        RiskScoreBps = d.RiskScoreBps, MarkPriceE8 = d.MarkPriceE8, PriceTimestamp = d.PriceTimestamp, PositionVersion = d.PositionVersion,
        ValidUntil = d.ValidUntil, ModelHash = d.ModelHash, FeaturesHash = d.FeaturesHash,
    };
}
