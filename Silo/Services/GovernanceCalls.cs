using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Protos;

namespace Aml.Orleans.Silo.Services;

/// <summary>
/// Turns an admin's governance request into the calldata the contract queues (and later re-runs). Every field is
/// checked here, so a malformed change is refused with INVALID_ARGUMENT naming it and nothing reaches the chain; what
/// only the contract can judge (a signer set's rules against its own state, a market's bounds) it refuses itself.
/// </summary>
internal static class GovernanceCalls
{
    /// <summary>The contract's <c>MAX_GOVERNANCE_DELAY</c>.</summary>
    private const ulong MaxGovernanceDelay = 30 * 86_400;

    /// <summary>The calldata of the requested change.</summary>
    public static byte[] Encode(QueueGovernanceRequest request, Deployment deployment)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(deployment);
        return request.ChangeCase switch
        {
            QueueGovernanceRequest.ChangeOneofCase.SetSigners => SetSigners(request.SetSigners),
            QueueGovernanceRequest.ChangeOneofCase.SetModel => MarginManagerGovernance.EncodeSetModel(
                Hash(request.SetModel.ModelHash, "set_model.model_hash"), request.SetModel.Allowed),
            QueueGovernanceRequest.ChangeOneofCase.WithdrawLiquidity => request.WithdrawLiquidity.Amount > 0
                ? MarginManagerGovernance.EncodeWithdrawLiquidity(request.WithdrawLiquidity.Amount)
                : throw RpcErrors.InvalidArgument("withdraw_liquidity.amount", "must be positive"),
            QueueGovernanceRequest.ChangeOneofCase.SetMarket => SetMarket(request.SetMarket, deployment),
            QueueGovernanceRequest.ChangeOneofCase.SetMarketLimits => SetMarketLimits(request.SetMarketLimits, deployment),
            QueueGovernanceRequest.ChangeOneofCase.SetGovernanceDelay => request.SetGovernanceDelay.DelaySeconds <= MaxGovernanceDelay
                ? MarginManagerGovernance.EncodeSetGovernanceDelay(request.SetGovernanceDelay.DelaySeconds)
                : throw RpcErrors.InvalidArgument("set_governance_delay.delay_seconds", $"{request.SetGovernanceDelay.DelaySeconds} is above 30 days ({MaxGovernanceDelay} s)"),
            _ => throw RpcErrors.InvalidArgument("change", "name one of set_signers, set_model, withdraw_liquidity, set_market, set_market_limits, set_governance_delay"),
        };
    }

    /// <summary>An op id as the gateway takes it.</summary>
    public static Bytes32 OpId(string text) => Hash(text, "op_id");

    private static byte[] SetSigners(SetSignersChange change)
    {
        var signers = change.Signers.Select((s, i) => AddressField(s, $"set_signers.signers[{i}]")).ToArray();
        if (signers.Length is 0 or > 32)
        {
            throw RpcErrors.InvalidArgument("set_signers.signers", $"{signers.Length} signers: the contract takes 1..32");
        }

        if (signers.Distinct().Count() != signers.Length || signers.Contains(Address.Zero))
        {
            throw RpcErrors.InvalidArgument("set_signers.signers", "zero or repeated address");
        }

        return change.Threshold == 0 || change.Threshold > signers.Length || 2 * change.Threshold <= signers.Length
            ? throw RpcErrors.InvalidArgument("set_signers.threshold", $"{change.Threshold} of {signers.Length}: needs 2 × threshold > signers ≥ threshold")
            : MarginManagerGovernance.EncodeSetSigners(signers, (byte)change.Threshold);
    }

    private static byte[] SetMarket(SetMarketChange change, Deployment deployment)
    {
        var marketId = Market(change.Asset, "set_market.asset", deployment);
        if (change.MaxLeverageX100 is 0 or > ushort.MaxValue)
        {
            throw RpcErrors.InvalidArgument("set_market.max_leverage_x100", $"{change.MaxLeverageX100} outside 1..65535");
        }

        Bps(change.MaxMaintenanceMarginBps, "set_market.max_maintenance_margin_bps");
        Bps(change.LiquidationPenaltyBps, "set_market.liquidation_penalty_bps");
        Bps(change.MaxMarginStepBps, "set_market.max_margin_step_bps");
        if (change.MinMaintenanceMarginBps > change.MaxMaintenanceMarginBps)
        {
            throw RpcErrors.InvalidArgument("set_market.min_maintenance_margin_bps", $"{change.MinMaintenanceMarginBps} is above the maximum {change.MaxMaintenanceMarginBps}");
        }

        return MarginManagerGovernance.EncodeSetMarket(marketId, new MarketConfig(
            change.Listed, change.MaxLeverageX100, change.MinMaintenanceMarginBps, change.MaxMaintenanceMarginBps, change.MaxMarginStepBps,
            change.LiquidationPenaltyBps, change.MaxPriceAge, change.TighteningGrace));
    }

    private static byte[] SetMarketLimits(SetMarketLimitsChange change, Deployment deployment)
    {
        var marketId = Market(change.Asset, "set_market_limits.asset", deployment);
        var feed = string.IsNullOrEmpty(change.PriceFeed) ? Address.Zero : AddressField(change.PriceFeed, "set_market_limits.price_feed");
        Bps(change.MaxFeedDeviationBps, "set_market_limits.max_feed_deviation_bps");
        return MarginManagerAbi.EncodeSetMarketLimits(marketId, new MarketLimits(
            feed, change.MaxFeedDeviationBps, change.MaxFeedAge, change.MaxDecisionTtl, change.MaxOpenInterestLong, change.MaxOpenInterestShort,
            change.BorrowRateBpsPerDay, change.OracleLivenessTimeout));
    }

    private static Bytes32 Market(string asset, string field, Deployment deployment) =>
        deployment.Markets.TryGetValue(asset, out var market)
            ? Bytes32.Parse(market.MarketId)
            : throw RpcErrors.InvalidArgument(field, $"'{asset}' is not a deployed market ({string.Join(", ", deployment.Markets.Keys)})");

    private static void Bps(uint value, string field)
    {
        if (value > 10_000)
        {
            throw RpcErrors.InvalidArgument(field, $"{value} bps is above 10000");
        }
    }

    private static Address AddressField(string text, string field)
    {
        try
        {
            return Address.Parse(text);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw RpcErrors.InvalidArgument(field, $"'{text}' is not an address: {ex.Message}");
        }
    }

    private static Bytes32 Hash(string text, string field)
    {
        try
        {
            return Bytes32.Parse(text);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw RpcErrors.InvalidArgument(field, "expected 0x and 64 hex digits");
        }
    }

}
