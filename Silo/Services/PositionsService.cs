using System.Security.Cryptography;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Outcomes;
using Aml.Orleans.Grains.Positions;
using Aml.Orleans.Protos;
using Aml.Orleans.Silo.Auth;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Decision = Aml.Orleans.Grains.Interfaces.Decision;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;
using Position = Aml.Orleans.Protos.Position;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;
using QuoteRequest = Aml.Orleans.Protos.QuoteRequest;

namespace Aml.Orleans.Silo.Services;

/// <summary>
/// A trader's positions: quote, open with their signature, read, watch, top up, close. Every call acts for the
/// signed-in wallet; a position of someone else is NOT_FOUND (its existence is not the caller's business). Refusals
/// follow one convention (README "Refusals"): a request that can never be right is INVALID_ARGUMENT naming the field,
/// one the system's state refuses now is FAILED_PRECONDITION, and no refusal is a success with a flag in it.
/// </summary>
[Authorize]
internal sealed class PositionsService(
    IClusterClient cluster,
    IServiceProvider services,
    IOptions<MarketCatalogOptions> catalog,
    QuoteSeal seal,
    GatewayRateLimits limits) : Positions.PositionsBase
{
    // How often Watch reads the position: with the indexer's 200 ms log poll in front of it, this bounds how late a
    // chain event reaches the trader's page (issue 18's budget is 250 ms); each read is one grain call and one market read.
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(100);

    /// <inheritdoc />
    public override async Task<QuoteResponse> Quote(QuoteRequest request, ServerCallContext context)
    {
        var trader = Caller(context);
        var terms = ListedTerms(request.Asset);
        if (request.Collateral <= 0)
        {
            throw RpcErrors.InvalidArgument("collateral", $"{request.Collateral} must be positive (collateral units, 1e-6 USDC)");
        }

        if (request.RequestedLeverageX100 < Units.LeverageScale || request.RequestedLeverageX100 > terms.MaxLeverageX100)
        {
            throw RpcErrors.InvalidArgument("requested_leverage_x100",
                $"{request.RequestedLeverageX100} is outside {Units.LeverageScale}..{terms.MaxLeverageX100} (X100: 1.00x to {request.Asset}'s cap)");
        }

        if ((Int128)request.Collateral * request.RequestedLeverageX100 / Units.LeverageScale > long.MaxValue)
        {
            throw RpcErrors.InvalidArgument("collateral",
                $"{request.Collateral} at {Units.Leverage(request.RequestedLeverageX100):0.##}x is a size beyond {long.MaxValue} collateral units");
        }

        limits.Acquire(RateLimitedCall.Quote, trader, context);
        // A fresh id nobody can guess or collide with: keccak(trader ‖ 16 random bytes).
        var positionId = Hex.Encode(Keccak.Hash([.. Address.Parse(trader).Bytes, .. RandomNumberGenerator.GetBytes(16)]));
        var quote = await cluster.GetGrain<IQuoteGrain>(0).QuoteAsync(positionId,
            new Grains.Interfaces.QuoteRequest(trader, request.Asset, request.IsLong, request.Collateral, request.RequestedLeverageX100));
        if (!quote.Accepted || quote.Decision is not { } decision || quote.Digest is not { } digest)
        {
            throw RpcErrors.FailedPrecondition(quote.Reason ?? $"{request.Asset} cannot be quoted now");
        }

        var response = new QuoteResponse
        {
            Accepted = true, Reason = quote.Reason ?? "", PositionId = positionId, Decision = ToProto(decision), Digest = digest, QuoteToken = seal.Seal(digest, quote.Inputs),
        };
        foreach (var c in quote.Explanation?.TopContributions ?? [])
        {
            response.Explanation.Add(new Protos.FeatureContribution { Model = c.Model, Feature = c.Feature, Value = c.Value, Contribution = c.Contribution });
        }

        return response;
    }

    /// <inheritdoc />
    public override async Task<Position> Open(OpenRequest request, ServerCallContext context)
    {
        var trader = Caller(context);
        RequireHex(request.PositionId, 32, "position_id");
        RequireHex(request.Digest, 32, "digest");
        RequireHex(request.TraderSignature, 65, "trader_signature");
        var decision = request.Decision is { } quoted
            ? FromProto(quoted)
            : throw RpcErrors.InvalidArgument("decision", "the quoted decision is required (quotes are not stored)");
        if (decision.PositionId != request.PositionId || !string.Equals(decision.Trader, trader, StringComparison.OrdinalIgnoreCase))
        {
            throw RpcErrors.InvalidArgument("decision", "is not a quote of this position for the signed-in wallet");
        }

        string digest;
        try
        {
            digest = Chain().DigestOf(decision); // pure EIP-712 hashing under the deployment's domain
        }
        catch (Exception ex) when (ex is OverflowException or ArgumentException or FormatException)
        {
            throw RpcErrors.InvalidArgument("decision", $"is not a decision the chain can take: {ex.Message}");
        }

        if (!string.Equals(digest, request.Digest, StringComparison.OrdinalIgnoreCase))
        {
            throw RpcErrors.InvalidArgument("decision", "is not the quoted decision: its digest differs");
        }

        if (!seal.TryOpen(digest, request.QuoteToken, out var inputs) || (inputs is not null && !DecisionInputsCheck.Matches(inputs, decision)))
        {
            throw RpcErrors.InvalidArgument("quote_token", "is not this gateway's token for the quoted decision");
        }

        limits.Acquire(RateLimitedCall.Open, trader, context);
        var result = await cluster.GetGrain<IPositionGrain>(request.PositionId).OpenAsync(new OpenPositionCommand(decision, digest, request.TraderSignature, inputs));
        return result.Accepted
            ? await LiveAsync(result.Position!)
            : throw RpcErrors.FailedPrecondition(result.Reason ?? $"position {request.PositionId} cannot be opened");
    }

    /// <inheritdoc />
    public override async Task<Position> Get(GetPositionRequest request, ServerCallContext context) =>
        await LiveAsync(await VisibleAsync(request.PositionId, context));

    /// <inheritdoc />
    public override async Task<ListPositionsResponse> ListMine(ListMineRequest request, ServerCallContext context)
    {
        var trader = Caller(context);
        var response = new ListPositionsResponse();
        foreach (var id in await cluster.GetGrain<ITraderGrain>(trader).ListPositionsAsync())
        {
            if (await cluster.GetGrain<IPositionGrain>(id).GetSnapshotAsync() is { } snapshot)
            {
                response.Positions.Add(await LiveAsync(snapshot));
            }
        }

        return response;
    }

    /// <inheritdoc />
    public override async Task<WalletCall> AddCollateral(AddCollateralRequest request, ServerCallContext context)
    {
        var position = await OwnAsync(request.PositionId, context);
        if (request.Amount <= 0)
        {
            throw RpcErrors.InvalidArgument("amount", $"{request.Amount} must be positive (collateral units, 1e-6 USDC)");
        }

        if ((Int128)position.Collateral + request.Amount > long.MaxValue)
        {
            throw RpcErrors.InvalidArgument("amount", $"{request.Amount} on top of {position.Collateral} is beyond {long.MaxValue} collateral units");
        }

        if (!PositionLifecycle.IsLive(position.Status))
        {
            throw RpcErrors.FailedPrecondition($"position {request.PositionId} is {position.Status}: only a live position takes collateral");
        }

        var chain = Chain();
        var data = MarginManagerAbi.Function(MarginManagerNames.Functions.AddCollateral).EncodeCall(Bytes32.Parse(request.PositionId), checked((UInt128)request.Amount));
        return WalletCallTo(chain, data);
    }

    /// <inheritdoc />
    public override async Task<Protos.SignedDecision> RequestClose(GetPositionRequest request, ServerCallContext context)
    {
        await OwnAsync(request.PositionId, context);
        var chain = Chain();
        Grains.Interfaces.CloseResult close;
        try
        {
            close = await cluster.GetGrain<IPositionGrain>(request.PositionId).RequestCloseAsync();
        }
        catch (ArgumentException ex)
        {
            // The oracle's signers refusing the decision's bounds still arrive as an exception (Grains/Oracle).
            throw RpcErrors.FailedPrecondition(ex.Message);
        }

        if (close is not { Accepted: true, Close: { } signed })
        {
            throw RpcErrors.FailedPrecondition(close.Reason ?? "the position cannot close now");
        }

        var quorum = new Quorum(System.Numerics.BigInteger.Parse("0" + signed.SignerBitmap[2..], System.Globalization.NumberStyles.HexNumber), Hex.Decode(signed.Signatures));
        var data = MarginManagerAbi.Function(MarginManagerNames.Functions.ClosePosition).EncodeCall(chain.ToChain(signed.Decision).ToAbiValue(), quorum.ToAbiValue());
        return new Protos.SignedDecision
        {
            Decision = ToProto(signed.Decision), Digest = signed.Digest, SignerBitmap = signed.SignerBitmap, Signatures = signed.Signatures,
            WalletCall = WalletCallTo(chain, data),
        };
    }

    /// <inheritdoc />
    public override async Task Watch(GetPositionRequest request, IServerStreamWriter<Position> responseStream, ServerCallContext context)
    {
        await VisibleAsync(request.PositionId, context);
        var grain = cluster.GetGrain<IPositionGrain>(request.PositionId);
        Position? last = null;
        using var timer = new PeriodicTimer(WatchInterval);
        do
        {
            var snapshot = (await grain.GetSnapshotAsync())!;
            var current = await LiveAsync(snapshot);
            if (!current.Equals(last))
            {
                await responseStream.WriteAsync(current, context.CancellationToken);
                last = current;
            }

            if (PositionLifecycle.IsFinal(snapshot.Status))
            {
                return; // nothing about it changes any more
            }
        }
        while (await timer.WaitForNextTickAsync(context.CancellationToken));
    }

    /// <inheritdoc />
    public override async Task<ListDecisionsResponse> ListDecisions(GetPositionRequest request, ServerCallContext context)
    {
        var position = await VisibleAsync(request.PositionId, context);
        var database = services.GetService<Npgsql.NpgsqlDataSource>() ??
                       throw RpcErrors.FailedPrecondition("the decision history is kept in PostgreSQL, and this gateway runs without it");
        return await new DecisionHistory(database).ListAsync(position.PositionId, Chain().Deployment.Signers, context.CancellationToken);
    }

    /// <inheritdoc />
    public override async Task<DecisionDetail> GetDecision(GetDecisionRequest request, ServerCallContext context)
    {
        string digest;
        try
        {
            digest = Bytes32.Parse(request.Digest).ToString();
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw RpcErrors.InvalidArgument("digest", $"'{request.Digest}' is not a 32-byte hex digest");
        }

        var position = await VisibleAsync(request.PositionId, context);
        var database = services.GetService<Npgsql.NpgsqlDataSource>() ??
                       throw RpcErrors.FailedPrecondition("decisions are kept in PostgreSQL, and this gateway runs without it");
        return await new DecisionDetails(database, Chain()).GetAsync(position.PositionId, digest, context.CancellationToken)
               ?? throw RpcErrors.NotFound($"decision {digest} of position {position.PositionId}");
    }

    /// <summary>
    /// The position at the market's latest price: the grain refreshes its mark when a band wakes it, the gateway on
    /// every read, so mark, PnL and margin follow each candle close without waking the position.
    /// </summary>
    private async Task<Position> LiveAsync(PositionSnapshot s)
    {
        var proto = ToProto(s);
        if (!PositionLifecycle.IsLive(s.Status) || s.Size <= 0 || s.EntryPriceE8 <= 0)
        {
            return proto;
        }

        var market = await cluster.GetGrain<IMarketGrain>(s.Asset).GetSnapshotAsync();
        var mark = market.LastPriceE8 > 0 ? market.LastPriceE8 : s.LastMarkPriceE8;
        var terms = new PositionTerms(s.IsLong, s.Collateral, s.Size, s.EntryPriceE8, s.MaintenanceMarginBps, s.BorrowFee);
        proto.MarkPriceE8 = mark;
        proto.MarginRatioBps = MarginMath.MarginRatioBps(terms, mark);
        proto.Pnl = MarginMath.Pnl(s.IsLong, s.Size, s.EntryPriceE8, mark);
        return proto;
    }

    /// <summary>The caller's own position, or one an administrator may read.</summary>
    private async Task<PositionSnapshot> VisibleAsync(string positionId, ServerCallContext context) =>
        await FindAsync(positionId, context, adminMaySee: true);

    /// <summary>The caller's own position: acting on it (a top-up, a close) is the trader's alone, not an administrator's.</summary>
    private async Task<PositionSnapshot> OwnAsync(string positionId, ServerCallContext context) =>
        await FindAsync(positionId, context, adminMaySee: false);

    private async Task<PositionSnapshot> FindAsync(string positionId, ServerCallContext context, bool adminMaySee)
    {
        var trader = Caller(context);
        RequireHex(positionId, 32, "position_id");
        var snapshot = await cluster.GetGrain<IPositionGrain>(positionId).GetSnapshotAsync();
        var isAdmin = adminMaySee && context.GetHttpContext().User.IsInRole(WalletSignIn.AdminRole);
        return snapshot is not null && (isAdmin || string.Equals(snapshot.Trader, trader, StringComparison.OrdinalIgnoreCase))
            ? snapshot
            : throw RpcErrors.NotFound($"position {positionId}");
    }

    private ChainContext Chain() => services.GetService<ChainContext>() ?? throw RpcErrors.FailedPrecondition("this gateway is not connected to a chain");

    private static WalletCall WalletCallTo(ChainContext chain, byte[] data) =>
        new() { ChainId = chain.Deployment.ChainId, To = chain.Contract.Contract.ToString(), Data = Hex.Encode(data) };

    private static string Caller(ServerCallContext context) =>
        context.GetHttpContext().User.Identity?.Name ?? throw RpcErrors.Unauthenticated("sign in first (Auth/SignIn)");

    private MarketTerms ListedTerms(string asset)
    {
        if (!AssetSymbol.TryParse(asset, out _))
        {
            throw RpcErrors.InvalidArgument("asset", $"'{asset}' is not an asset symbol like ETH-USD");
        }

        return catalog.Value.Markets.TryGetValue(asset, out var terms) ? terms : throw RpcErrors.NotFound($"market {asset}");
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
        RejectionReason = s.RejectionReason ?? "", CloseDigest = s.CloseDigest ?? "", CloseValidUntil = s.CloseValidUntil,
        BorrowFee = s.BorrowFee,
    };

    internal static Protos.Decision ToProto(Decision d) => new()
    {
        Kind = (uint)d.Kind, PositionId = d.PositionId, Asset = d.Asset, Trader = d.Trader, IsLong = d.IsLong, Collateral = d.Collateral,
        Size = d.Size, MaxLeverageX100 = d.MaxLeverageX100, MaintenanceMarginBps = d.MaintenanceMarginBps, CloseFactorBps = d.CloseFactorBps,
        RiskScoreBps = d.RiskScoreBps, MarkPriceE8 = d.MarkPriceE8, PriceTimestamp = d.PriceTimestamp, PositionVersion = d.PositionVersion,
        ValidUntil = d.ValidUntil, ModelHash = d.ModelHash, FeaturesHash = d.FeaturesHash,
    };

    /// <summary>A decision as a client sent it back; a value out of its on-chain range is the field's INVALID_ARGUMENT.</summary>
    private static Decision FromProto(Protos.Decision d)
    {
        if (d.Kind != (uint)DecisionKind.Open || d.RiskScoreBps > ushort.MaxValue)
        {
            throw RpcErrors.InvalidArgument("decision", "is not an OPEN decision of a quote");
        }

        try
        {
            _ = Bytes32.Parse(d.ModelHash);
            _ = Bytes32.Parse(d.FeaturesHash);
            _ = Address.Parse(d.Trader);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw RpcErrors.InvalidArgument("decision", $"is malformed: {ex.Message}");
        }

        return new Decision(
            DecisionKind.Open, d.PositionId, d.Asset, d.Trader, d.IsLong, d.Collateral, d.Size, d.MaxLeverageX100, d.MaintenanceMarginBps,
            d.CloseFactorBps, (ushort)d.RiskScoreBps, d.MarkPriceE8, d.PriceTimestamp, d.PositionVersion, d.ValidUntil, d.ModelHash, d.FeaturesHash);
    }
}
