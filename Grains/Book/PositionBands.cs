using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Book;

/// <summary>
/// The two bands a position is woken at, from its terms and the mark: the liquidation band toward the loss always,
/// and the warning band while the mark is on the safe side of it, else a recovery band the other way (to clear the
/// warning). Both strictly beyond the mark, so a band never fires at the price it was set at. Positions set their
/// rows with it, book shards re-arm a row with it at a warning, and the seeder uses it for positions the indexer delivers.
/// </summary>
public static class PositionBands
{
    /// <summary><paramref name="row"/> with its bands set for <paramref name="markPriceE8"/>.</summary>
    /// <param name="row">The position's row (its bands are replaced).</param>
    /// <param name="markPriceE8">The market's latest price.</param>
    /// <param name="warningMultipleBps">Warn below this multiple of the requirement (bps; 15000 = 1.5x).</param>
    /// <param name="nowUnixSeconds">Decides whether a pending margin is in force.</param>
    /// <param name="borrowFee">
    /// The borrow fee to count (collateral units): a position passes the fee it will have accrued by its next
    /// reassessment, so a band fires no later than the exact check would while the fee grows. The row carries no fee.
    /// </param>
    public static BookRow At(BookRow row, long markPriceE8, long warningMultipleBps, long nowUnixSeconds, long borrowFee = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(markPriceE8);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(warningMultipleBps);
        ArgumentOutOfRangeException.ThrowIfNegative(borrowFee);
        var terms = row.TermsAt(nowUnixSeconds) with { BorrowFee = borrowFee };
        var toward = row.IsLong ? BandDirection.Falling : BandDirection.Rising;
        var away = row.IsLong ? BandDirection.Rising : BandDirection.Falling;
        var warning = MarginMath.PriceAtEquity(
            terms, MarginMath.Requirement(row.Size, row.MaintenanceMarginBps) * warningMultipleBps / Units.BpsScale);
        var pastWarning = row.IsLong ? markPriceE8 <= warning : markPriceE8 >= warning;
        return row with
        {
            Liquidation = Beyond(MarginMath.LiquidationPrice(terms), markPriceE8, toward),
            Warning = pastWarning ? Beyond(warning, markPriceE8, away) : new BookBand(toward, warning),
        };
    }

    private static BookBand Beyond(long bandE8, long markPriceE8, BandDirection direction) =>
        bandE8 <= 0 ? BookBand.None : new BookBand(direction,
            direction == BandDirection.Falling ? Math.Min(bandE8, markPriceE8 - 1) : Math.Max(bandE8, markPriceE8 + 1));
}
