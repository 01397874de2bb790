using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>
/// What every oracle signer checks before it signs: the decision stays inside the market's on-chain bounds and is
/// internally consistent. The contract checks the same again; signing only what it would accept keeps a faulty model
/// or engine from spending signatures, and a signer never signs what it cannot defend. (Whether a LIQUIDATE's
/// position is liquidatable needs its entry price and borrow fee: the position checks that with <c>MarginMath</c> on
/// the chain's terms before it decides, and the contract skips a LIQUIDATE that no longer holds.)
/// </summary>
public static class DecisionBounds
{
    /// <summary>Returns why <paramref name="decision"/> must not be signed, or null when it may be.</summary>
    public static string? Violation(Decision decision, MarketTerms market, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(market);
        if (!Enum.IsDefined(decision.Kind))
        {
            return $"kind {(byte)decision.Kind} is not a decision kind";
        }

        if (decision.MarkPriceE8 <= 0)
        {
            return "markPrice must be positive";
        }

        var nowSeconds = (ulong)now.ToUnixTimeSeconds();
        if (decision.ValidUntil <= nowSeconds)
        {
            return $"validUntil {decision.ValidUntil} is not after now {nowSeconds}";
        }

        if (decision.PriceTimestamp + market.MaxPriceAgeSeconds < nowSeconds)
        {
            return $"price from {decision.PriceTimestamp} is older than the market's {market.MaxPriceAgeSeconds} s";
        }

        if (decision.ModelHash.Length != 66 || decision.FeaturesHash.Length != 66)
        {
            return "modelHash and featuresHash must be 32-byte hex";
        }

        if (decision.MaxLeverageX100 == 0 || decision.MaxLeverageX100 > market.MaxLeverageX100)
        {
            return $"maxLeverage {decision.MaxLeverageX100} outside 1..{market.MaxLeverageX100} (X100)";
        }

        if (decision.MaintenanceMarginBps < market.MinMaintenanceMarginBps || decision.MaintenanceMarginBps > market.MaxMaintenanceMarginBps)
        {
            return $"maintenance margin {decision.MaintenanceMarginBps} bps outside {market.MinMaintenanceMarginBps}..{market.MaxMaintenanceMarginBps}";
        }

        if (decision.RiskScoreBps > MarginMath.BpsDenominator)
        {
            return $"risk score {decision.RiskScoreBps} above 10000 bps";
        }

        return decision.Kind switch
        {
            DecisionKind.Open => OpenViolation(decision),
            DecisionKind.Liquidate when decision.CloseFactorBps is 0 or > 10_000 =>
                $"close factor {decision.CloseFactorBps} outside 1..10000",
            _ => null,
        };
    }

    private static string? OpenViolation(Decision decision)
    {
        if (decision.PositionVersion != 0)
        {
            return "an OPEN must carry version 0";
        }

        if (decision.Collateral <= 0 || decision.Size <= 0)
        {
            return "collateral and size must be positive";
        }

        var leverageX100 = (Int128)decision.Size * MarginMath.LeverageScale / decision.Collateral;
        return leverageX100 > decision.MaxLeverageX100
            ? $"size {decision.Size} on collateral {decision.Collateral} is {leverageX100} X100, above the cap {decision.MaxLeverageX100}"
            : null;
    }
}
