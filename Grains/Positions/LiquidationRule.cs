using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;

namespace Aml.Orleans.Grains.Positions;

/// <summary>
/// A position's terms and the liquidation it owes, from its state alone (no I/O): what <see cref="PositionGrain"/>
/// decides when a tick wakes it, and what its book shard decides for many positions at once in a cascade, from the
/// same stored state, so both build the same decision.
/// </summary>
internal sealed class LiquidationRule(MarketCatalogOptions catalog, PositionOptions options, TimeProvider clock)
{
    private readonly DecisionFactory _decisions = new(catalog, options, clock);

    /// <summary>The margin the contract applies at <paramref name="now"/>: a pending tighter one once its grace period is over.</summary>
    public static uint EffectiveMarginBps(PositionState s, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.PendingMarginBps != 0 && (ulong)now.ToUnixTimeSeconds() >= s.PendingMarginFrom ? s.PendingMarginBps : s.MaintenanceMarginBps;
    }

    /// <summary>
    /// The terms with the borrow fee accrued at <paramref name="at"/>: the market's index moves by its rate every second
    /// from the last read, and the fee is the contract's <c>size × (market − position index) / 864e6</c>.
    /// </summary>
    public static PositionTerms TermsAt(PositionState s, MarketCatalogOptions catalog, DateTimeOffset at, uint effectiveMarginBps)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(catalog);
        long fee = 0;
        if (s.BorrowIndexAt != 0 && catalog.Markets.TryGetValue(s.Asset, out var market))
        {
            var seconds = (ulong)Math.Max(0, at.ToUnixTimeSeconds() - (long)s.BorrowIndexAt);
            var index = s.MarketBorrowIndex + MarginMath.BorrowIndexGrowth(market.BorrowRateBpsPerDay, seconds);
            fee = index > s.PositionBorrowIndex ? MarginMath.BorrowFee(s.Size, index - s.PositionBorrowIndex) : 0;
        }

        return new(s.IsLong, s.Collateral, s.Size, s.EntryPriceE8, effectiveMarginBps, fee);
    }

    /// <summary>
    /// Whether the contract takes a price from <paramref name="priceAt"/> for this position: it compares whole seconds
    /// and refuses a price older than the position's last change.
    /// </summary>
    public static bool IsNewerThanLastChainChange(PositionState s, DateTimeOffset priceAt)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.LastChainChangeAt is not { } changed || priceAt.ToUnixTimeSeconds() >= changed.ToUnixTimeSeconds();
    }

    /// <summary>
    /// The LIQUIDATE the position owes at <paramref name="priceE8"/>, or null when there is none to send without the
    /// position itself: it is not live, healthy once its borrow fee counts, already has a decision on its way, is frozen
    /// by the guardian, or the price is older than its last chain change (each of those the position handles).
    /// </summary>
    public Decision? Owed(string positionId, PositionState s, long priceE8, DateTimeOffset priceAt)
    {
        ArgumentNullException.ThrowIfNull(s);
        var now = clock.GetUtcNow();
        var owed = PositionLifecycle.IsLive(s.Status) && s.Size > 0 && s.PendingDecision is null && !s.Frozen &&
                   IsNewerThanLastChainChange(s, priceAt) &&
                   MarginMath.IsLiquidatable(TermsAt(s, catalog, now, EffectiveMarginBps(s, now)), priceE8);
        return owed ? Liquidate(positionId, s, priceE8, priceAt) : null;
    }

    /// <summary>
    /// The LIQUIDATE of the position at <paramref name="priceE8"/>: partial where closing part of the size restores
    /// health with the buffer, everything when nothing partial would.
    /// </summary>
    public Decision Liquidate(string positionId, PositionState s, long priceE8, DateTimeOffset priceAt)
    {
        ArgumentNullException.ThrowIfNull(s);
        var now = clock.GetUtcNow();
        var closeFactor = MarginMath.HealingCloseFactorBps(
            TermsAt(s, catalog, now, EffectiveMarginBps(s, now)), priceE8, catalog.For(s.Asset).LiquidationPenaltyBps, options.LiquidationBufferBps);
        return _decisions.Liquidate(positionId, s, closeFactor, priceE8, priceAt);
    }
}
