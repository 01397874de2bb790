namespace Aml.Orleans.Grains.Chain;

/// <summary>The contract's <c>IMarginManager.SkipReason</c>: why <c>applyDecisions</c> skipped an item.</summary>
public enum SkipReason : byte
{
    /// <summary>Not skipped.</summary>
    None,

    /// <summary>Not an ADJUST or LIQUIDATE.</summary>
    WrongKind,

    /// <summary>Unknown, closed or liquidated.</summary>
    PositionNotOpen,

    /// <summary>The position changed since the decision (an earlier decision, a freeze; a top-up no longer does).</summary>
    StaleVersion,

    /// <summary>The item's own validUntil passed.</summary>
    Expired,

    /// <summary>The model hash is not registered.</summary>
    ModelNotAllowed,

    /// <summary>The market is not the position's, or is unlisted.</summary>
    MarketMismatch,

    /// <summary>The market is frozen.</summary>
    MarketFrozen,

    /// <summary>The guardian froze the position.</summary>
    PositionFrozen,

    /// <summary>Zero, too old, older than the position's last change, or dated ahead of the block.</summary>
    BadPrice,

    /// <summary>A LIQUIDATE on a position healthy at the signed price.</summary>
    NotLiquidatable,

    /// <summary>Leverage cap, margin bounds or step, risk score or close factor out of range.</summary>
    RiskBounds,

    /// <summary>The vault cannot pay the position's profit.</summary>
    InsufficientLiquidity,

    /// <summary>The signed price is further than the market's allowed deviation from its price feed (version 2).</summary>
    FeedDeviation,

    /// <summary>The market's price feed is older than its allowed age, not positive, or unreadable (version 2).</summary>
    FeedUnavailable,

    /// <summary>The decision lives longer after its price than the market's decision TTL (version 2).</summary>
    DecisionTtl,
}
