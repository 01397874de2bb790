using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Positions;

/// <summary>The position's row in its market's book shard.</summary>
internal sealed partial class PositionGrain
{
    /// <summary>
    /// Upserts the position's book row (its terms as the chain has them, its bands at <paramref name="markPriceE8"/> and
    /// when it is next due), or removes it once the status is final; returns when the shard has stored it.
    /// <list type="bullet">
    /// <item>A decision on its way: no bands (the chain event that settles it brings the next row), due when it expires.</item>
    /// <item>Liquidatable at the mark but no decision out (refused, frozen, waiting for a fresher price): the liquidation
    /// band at the liquidation price itself, so the next tick at or beyond it wakes the position, and due one retry
    /// interval from now (the price may never move again). A frozen position gets no band: only the retry.</item>
    /// <item>Otherwise the liquidation and warning (or recovery) bands beyond the mark, due at the next reassessment; a
    /// band the market's price already crossed wakes it at once.</item>
    /// </list>
    /// </summary>
    private async Task PublishAsync(long markPriceE8)
    {
        var s = state.State;
        if (PositionLifecycle.IsFinal(s.Status))
        {
            await Shard.RemoveAsync(Key);
            return;
        }

        if (!PositionLifecycle.IsLive(s.Status) || s.Size <= 0 || s.Collateral <= 0 || s.EntryPriceE8 <= 0 || markPriceE8 <= 0)
        {
            return; // not on-chain yet (an OPEN on its way): its chain event brings the first row
        }

        var now = clock.GetUtcNow();
        var nowSeconds = now.ToUnixTimeSeconds();
        var row = new BookRow(
            Key, s.IsLong, s.RiskScoreBps, s.MaxLeverageX100, s.Collateral, s.Size, s.EntryPriceE8, s.MaintenanceMarginBps,
            s.PendingMarginBps, s.PendingMarginFrom, s.OnChainVersion, BookBand.None, BookBand.None,
            ((s.LastReassessedAt ?? now) + _options.ReassessInterval).ToUnixTimeMilliseconds());
        var wakeIfCrossed = false;
        if (s.PendingDecision is { } pending)
        {
            // The sweep checks "ValidUntil < now" in whole seconds: due just after that second has passed.
            row = row with { NextReassessAtMs = checked(((long)pending.ValidUntil + 1) * 1000) };
        }
        else if (MarginMath.IsLiquidatable(Terms, markPriceE8))
        {
            var liquidation = MarginMath.LiquidationPrice(BandTerms);
            row = row with
            {
                Liquidation = s.Frozen || liquidation <= 0 ? BookBand.None : new BookBand(s.IsLong ? BandDirection.Falling : BandDirection.Rising, liquidation),
                NextReassessAtMs = Math.Min(row.NextReassessAtMs, (now + _options.RetryInterval).ToUnixTimeMilliseconds()),
            };
        }
        else
        {
            row = PositionBands.At(row, markPriceE8, _options.WarningMultipleBps, nowSeconds, BandTerms.BorrowFee);
            wakeIfCrossed = true;
        }

        await Shard.UpsertAsync(row, s.Trader, wakeIfCrossed);
    }
}
