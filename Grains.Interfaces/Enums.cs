namespace Aml.Orleans.Grains.Interfaces;

/// <summary>A position's life: Requested → Pending → Open → (Adjusting) → Closing/Liquidating → Closed/Liquidated.</summary>
[GenerateSerializer, Alias("aml.PositionStatus")]
public enum PositionStatus
{
    /// <summary>Quoted; waiting for the trader's signature.</summary>
    Requested,

    /// <summary>Signed by the trader and the oracle; the open is on its way to the chain.</summary>
    Pending,

    /// <summary>Open on-chain.</summary>
    Open,

    /// <summary>An ADJUST decision is on its way.</summary>
    Adjusting,

    /// <summary>The trader's CLOSE is on its way.</summary>
    Closing,

    /// <summary>A LIQUIDATE decision is on its way.</summary>
    Liquidating,

    /// <summary>Closed by the trader.</summary>
    Closed,

    /// <summary>Liquidated in full.</summary>
    Liquidated,

    /// <summary>The open was refused (by the risk bounds, the oracle or the chain).</summary>
    Rejected,
}

/// <summary>The on-chain <c>RiskDecision.kind</c>.</summary>
[GenerateSerializer, Alias("aml.DecisionKind")]
public enum DecisionKind : byte
{
    /// <summary>Opens a position.</summary>
    Open = 1,

    /// <summary>New max leverage, maintenance margin and risk score.</summary>
    Adjust = 2,

    /// <summary>Closes <c>closeFactorBps</c> of the size at the signed price.</summary>
    Liquidate = 3,

    /// <summary>The trader's own close at a signed price.</summary>
    Close = 4,
}

/// <summary>What the engine suggests to the trader about a position.</summary>
[GenerateSerializer, Alias("aml.Suggestion")]
public enum Suggestion
{
    /// <summary>Healthy; nothing to do.</summary>
    None,

    /// <summary>Margin is thin: add collateral.</summary>
    AddCollateral,

    /// <summary>Risk rose: reduce the position.</summary>
    Reduce,

    /// <summary>Close now: liquidation is near.</summary>
    Close,
}

/// <summary>Why a market refused a tick; <see cref="Accepted"/> when it did not.</summary>
[GenerateSerializer, Alias("aml.TickRejection")]
public enum TickRejection
{
    /// <summary>The tick was accepted.</summary>
    Accepted,

    /// <summary>Zero or negative price.</summary>
    NonPositivePrice,

    /// <summary>Older than the newest accepted tick (or the same instant).</summary>
    OutOfOrder,

    /// <summary>Older than the allowed age.</summary>
    Stale,

    /// <summary>Time-stamped in the future beyond the allowed clock skew.</summary>
    FromFuture,

    /// <summary>A jump larger than the outlier limit that no following tick has confirmed yet.</summary>
    UnconfirmedJump,

    /// <summary>A candle whose prices are inconsistent (high below low, open or close outside the range).</summary>
    MalformedCandle,
}

/// <summary>Which way a price must move to cross a band: down through it (a long's risk) or up through it (a short's).</summary>
[GenerateSerializer, Alias("aml.BandDirection")]
public enum BandDirection
{
    /// <summary>Fires when the price falls to or below the band.</summary>
    Falling,

    /// <summary>Fires when the price rises to or above the band.</summary>
    Rising,
}
