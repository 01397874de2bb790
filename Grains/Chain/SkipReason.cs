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

    /// <summary>The position changed since the decision (top-up, earlier decision).</summary>
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

    /// <summary>Zero, too old, or older than the position's last change.</summary>
    BadPrice,

    /// <summary>A LIQUIDATE on a position healthy at the signed price.</summary>
    NotLiquidatable,

    /// <summary>Leverage cap, margin bounds or step, risk score or close factor out of range.</summary>
    RiskBounds,

    /// <summary>The vault cannot pay the position's profit.</summary>
    InsufficientLiquidity,
}
