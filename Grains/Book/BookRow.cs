using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Book;

/// <summary>One price band of a row; <see cref="PriceE8"/> 0 means the row has no such band.</summary>
[GenerateSerializer, Immutable, Alias("aml.BookBand")]
public readonly record struct BookBand(BandDirection Direction, long PriceE8)
{
    /// <summary>No band.</summary>
    public static readonly BookBand None = default;

    /// <summary>True when the band is set.</summary>
    public bool IsSet => PriceE8 > 0;

    /// <summary>True when a move to <paramref name="priceE8"/> crosses the band (the market's rule: at or beyond it).</summary>
    public bool IsCrossedAt(long priceE8) =>
        IsSet && (Direction == BandDirection.Falling ? priceE8 <= PriceE8 : priceE8 >= PriceE8);
}

/// <summary>
/// What the market keeps of one position: the terms its health depends on (as the chain has them), the leverage cap and
/// risk score a reassessment compares against (so only a position whose terms should move is woken), the two bands it
/// is woken at, and when it is next due for reassessment. Unmanaged (no reference fields), so arrays of rows are not traced
/// by the GC; 128 bytes (the field order fills the padding after <see cref="IsLong"/>). Amounts in collateral units, prices E8, margins in bps, times in unix seconds (pending margin) and unix
/// milliseconds (reassessment).
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.BookRow")]
public readonly record struct BookRow(
    PositionKey Key,
    bool IsLong,
    ushort RiskScoreBps,
    uint MaxLeverageX100,
    long Collateral,
    long Size,
    long EntryPriceE8,
    uint MaintenanceMarginBps,
    uint PendingMarginBps,
    ulong PendingMarginFrom,
    ulong Version,
    BookBand Liquidation,
    BookBand Warning,
    long NextReassessAtMs)
{
    /// <summary><see cref="NextReassessAtMs"/> of a row no sweep should pick (a decision is on its way).</summary>
    public const long NotScheduled = 0;

    /// <summary>The margin the contract applies at <paramref name="nowUnixSeconds"/>: the pending one once its grace is over.</summary>
    public uint MarginBpsAt(long nowUnixSeconds) =>
        PendingMarginBps != 0 && nowUnixSeconds >= 0 && (ulong)nowUnixSeconds >= PendingMarginFrom ? PendingMarginBps : MaintenanceMarginBps;

    /// <summary>The terms <see cref="MarginMath"/> decides health on, at <paramref name="nowUnixSeconds"/>.</summary>
    public PositionTerms TermsAt(long nowUnixSeconds) => new(IsLong, Collateral, Size, EntryPriceE8, MarginBpsAt(nowUnixSeconds));

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field a live position cannot have.</summary>
    public void Validate()
    {
        var problem =
            Key.IsZero ? "the position id is zero" :
            Collateral <= 0 ? $"collateral {Collateral} is not positive" :
            Size <= 0 ? $"size {Size} is not positive" :
            EntryPriceE8 <= 0 ? $"entry price {EntryPriceE8} is not positive" :
            MaintenanceMarginBps is 0 or > (uint)Units.BpsScale ? $"maintenance margin {MaintenanceMarginBps} bps is outside 1..10000" :
            PendingMarginBps > (uint)Units.BpsScale ? $"pending margin {PendingMarginBps} bps is above 10000" :
            MaxLeverageX100 < Units.LeverageScale ? $"leverage cap {MaxLeverageX100} (X100) is below 1x" :
            RiskScoreBps > Units.BpsScale ? $"risk score {RiskScoreBps} bps is above 10000" :
            PendingMarginFrom > long.MaxValue || Version > long.MaxValue ? "pending-margin time or version does not fit a bigint" :
            Liquidation.PriceE8 < 0 || Warning.PriceE8 < 0 ? "a band price is negative" :
            !Enum.IsDefined(Liquidation.Direction) || !Enum.IsDefined(Warning.Direction) ? "a band direction is unknown" :
            NextReassessAtMs < 0 ? $"next reassessment {NextReassessAtMs} is negative" :
            null;
        if (problem is not null)
        {
            throw new ArgumentException($"book row {Key}: {problem}", "row");
        }
    }
}

/// <summary>A position's health at one price, from its book row alone (no grain activation).</summary>
/// <param name="Liquidatable">Equity below the requirement: the contract would liquidate.</param>
/// <param name="Equity">Collateral plus PnL, collateral units.</param>
/// <param name="Requirement">Size times the margin in force, collateral units.</param>
/// <param name="MarginBps">The margin in force (the pending one once its grace is over).</param>
public readonly record struct BookHealth(bool Liquidatable, long Equity, long Requirement, uint MarginBps)
{
    /// <summary>The health of <paramref name="row"/> at <paramref name="priceE8"/>, the contract's formulas exactly.</summary>
    public static BookHealth Of(in BookRow row, long priceE8, long nowUnixSeconds)
    {
        var terms = row.TermsAt(nowUnixSeconds);
        var equity = MarginMath.Equity(terms, priceE8);
        var requirement = MarginMath.Requirement(terms.Size, terms.MaintenanceMarginBps);
        return new BookHealth(equity < requirement, equity, requirement, (uint)terms.MaintenanceMarginBps);
    }
}
