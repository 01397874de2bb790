using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;

namespace Aml.Orleans.Grains.Positions;

/// <summary>
/// Builds the four kinds of <see cref="Decision"/> the engine signs, so that which fields each kind takes from where
/// (the quote's request and assessment, the position's chain terms, the market's price) and how long it is valid is
/// written once. No I/O: the grains hand in what they read.
/// </summary>
/// <remarks>
/// Every decision lives <see cref="PositionOptions.DecisionTtl"/> from now, capped by the market's decision TTL after
/// the price it carries (<see cref="MarketTerms.ValidUntil"/>): the contract refuses a signed price that lives longer.
/// </remarks>
internal sealed class DecisionFactory(MarketCatalogOptions catalog, PositionOptions options, TimeProvider clock)
{
    /// <summary>The OPEN a quote asks the trader to sign: the request's side and collateral at the granted size, the models' terms.</summary>
    public Decision Open(string positionId, QuoteRequest request, long size, RiskAssessment assessment)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(assessment);
        var priceTime = (ulong)assessment.PriceTime.ToUnixTimeSeconds();
        return new Decision(
            DecisionKind.Open, positionId, request.Asset, request.Trader, request.IsLong, request.Collateral, size,
            assessment.MaxLeverageX100, assessment.MaintenanceMarginBps, 0, assessment.RiskScoreBps, assessment.MarkPriceE8,
            priceTime, 0, ValidUntil(request.Asset, priceTime), assessment.ModelHash, assessment.FeaturesHash);
    }

    /// <summary>
    /// A CLOSE of the position at the market's price: its chain terms with <paramref name="effectiveMarginBps"/> (the
    /// margin in force now), the model of the terms in force.
    /// </summary>
    public Decision Close(string positionId, PositionState position, uint effectiveMarginBps, long priceE8, DateTimeOffset priceAt)
    {
        ArgumentNullException.ThrowIfNull(position);
        var priceTime = (ulong)priceAt.ToUnixTimeSeconds();
        return new Decision(
            DecisionKind.Close, positionId, position.Asset, position.Trader, position.IsLong, position.Collateral, position.Size,
            position.MaxLeverageX100, effectiveMarginBps, 0, position.RiskScoreBps, priceE8, priceTime, position.OnChainVersion,
            ValidUntil(position.Asset, priceTime), position.ModelHash ?? "", position.FeaturesHash ?? "");
    }

    /// <summary>
    /// An ADJUST to the models' new cap and score with the margin moved to <paramref name="marginBps"/> (one step of
    /// the market's limit: the caller decides the step), priced and hashed as the assessment was.
    /// </summary>
    public Decision Adjust(string positionId, PositionState position, RiskAssessment assessment, uint marginBps)
    {
        ArgumentNullException.ThrowIfNull(position);
        ArgumentNullException.ThrowIfNull(assessment);
        var priceTime = (ulong)assessment.PriceTime.ToUnixTimeSeconds();
        return new Decision(
            DecisionKind.Adjust, positionId, position.Asset, position.Trader, position.IsLong, position.Collateral, position.Size,
            assessment.MaxLeverageX100, marginBps, 0, assessment.RiskScoreBps, assessment.MarkPriceE8, priceTime,
            position.OnChainVersion, ValidUntil(position.Asset, priceTime), assessment.ModelHash, assessment.FeaturesHash);
    }

    /// <summary>
    /// A LIQUIDATE of <paramref name="closeFactorBps"/> of the position (10,000: all of it) at the price that made it
    /// liquidatable; its terms as they are, the model of the terms in force.
    /// </summary>
    public Decision Liquidate(string positionId, PositionState position, uint closeFactorBps, long priceE8, DateTimeOffset priceAt)
    {
        ArgumentNullException.ThrowIfNull(position);
        var priceTime = (ulong)priceAt.ToUnixTimeSeconds();
        return new Decision(
            DecisionKind.Liquidate, positionId, position.Asset, position.Trader, position.IsLong, position.Collateral, position.Size,
            position.MaxLeverageX100, position.MaintenanceMarginBps, closeFactorBps, position.RiskScoreBps, priceE8, priceTime,
            position.OnChainVersion, ValidUntil(position.Asset, priceTime), position.ModelHash ?? "", position.FeaturesHash ?? "");
    }

    private ulong ValidUntil(string asset, ulong priceTimestamp) =>
        catalog.For(asset).ValidUntil(clock.GetUtcNow(), priceTimestamp, options.DecisionTtl);
}
