namespace Aml.Orleans.Grains.Domain;

/// <summary>
/// Integer margin arithmetic, the same formulas the contract enforces (design/CONTRACT.md "Money and units"):
/// a long's PnL at price p is <c>size * (p - entry) / entry</c> (a short's the negative), truncated toward zero;
/// <c>equity = collateral + pnl − borrow fee</c> (version 2: the fee accrued on notional since the position last settled
/// counts in every health check); requirement <c>= size * maintenanceMarginBps / 10000</c>; liquidatable iff
/// <c>equity &lt; requirement</c>.
/// </summary>
/// <remarks>
/// Amounts are collateral units (1e-6 USDC); prices are E8 fixed point. The contract works in E18, but E18 = E8·1e10
/// scales numerator and denominator alike, so the truncated quotient is the same integer. Int128 holds
/// size (≤ 1e18) × price difference (≤ 1e18) without overflow.
/// </remarks>
public static class MarginMath
{
    /// <summary>Basis points in one whole: <see cref="Units.BpsScale"/> (the name the oracle's code still uses).</summary>
    public const long BpsDenominator = Units.BpsScale;

    /// <summary>Leverage X100: <see cref="Units.LeverageScale"/> (the name the oracle's code still uses).</summary>
    public const long LeverageScale = Units.LeverageScale;

    /// <summary>
    /// The borrow index's denominator: the index grows by <c>borrowRateBpsPerDay</c> every second, so one day at one bps
    /// is 86,400 index points per 10,000 bps of notional.
    /// </summary>
    public const long BorrowIndexDenominator = Units.BpsScale * 86_400;

    /// <summary>
    /// The borrow fee on <paramref name="size"/> for an index that moved by <paramref name="indexDelta"/> since the
    /// position was last charged: <c>size * Δindex / 864e6</c>, rounded down, exactly the contract's
    /// <c>accruedBorrowFee</c>.
    /// </summary>
    public static long BorrowFee(long size, ulong indexDelta)
    {
        if (size < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "must not be negative");
        }

        return checked((long)((Int128)size * indexDelta / BorrowIndexDenominator));
    }

    /// <summary>How far a market's borrow index moves in <paramref name="seconds"/> at <paramref name="rateBpsPerDay"/>.</summary>
    public static ulong BorrowIndexGrowth(uint rateBpsPerDay, ulong seconds) => checked(rateBpsPerDay * seconds);

    /// <summary>Notional for <paramref name="collateral"/> at <paramref name="leverageX100"/>, rounded down.</summary>
    public static long Size(long collateral, long leverageX100) =>
        checked((long)((Int128)collateral * leverageX100 / Units.LeverageScale));

    /// <summary>Profit or loss in collateral units at <paramref name="priceE8"/>, truncated toward zero like Solidity.</summary>
    public static long Pnl(bool isLong, long size, long entryPriceE8, long priceE8)
    {
        RequirePositive(entryPriceE8, nameof(entryPriceE8));
        var pnl = (Int128)size * (priceE8 - entryPriceE8) / entryPriceE8;
        return checked((long)(isLong ? pnl : -pnl));
    }

    /// <summary>Collateral plus PnL minus the accrued borrow fee; negative once losses exceed collateral (bad debt).</summary>
    public static long Equity(PositionTerms terms, long priceE8) =>
        checked(terms.Collateral + Pnl(terms.IsLong, terms.Size, terms.EntryPriceE8, priceE8) - terms.BorrowFee);

    /// <summary>The maintenance requirement, <c>size * mmBps / 10000</c> rounded down.</summary>
    public static long Requirement(long size, long maintenanceMarginBps) =>
        checked((long)((Int128)size * maintenanceMarginBps / Units.BpsScale));

    /// <summary>True when equity is below the maintenance requirement at <paramref name="priceE8"/>.</summary>
    public static bool IsLiquidatable(PositionTerms terms, long priceE8) =>
        Equity(terms, priceE8) < Requirement(terms.Size, terms.MaintenanceMarginBps);

    /// <summary>
    /// The price at which equity equals <paramref name="targetEquity"/>: for a long the highest price at or below
    /// which equity ≤ target, for a short the lowest price at or above which equity ≤ target. Rounded toward the
    /// entry so that a band registered at this price fires no later than the exact integer check.
    /// </summary>
    public static long PriceAtEquity(PositionTerms terms, long targetEquity)
    {
        RequirePositive(terms.Size, nameof(terms.Size));
        // With c = collateral − fee (the fee is a fixed amount at a given time, so it only shifts the collateral):
        // long:  c + size (p - e)/e = target  ⇒  p = e (size - c + target) / size
        // short: c - size (p - e)/e = target  ⇒  p = e (size + c - target) / size
        var net = (Int128)terms.Collateral - terms.BorrowFee;
        var numerator = (Int128)terms.EntryPriceE8 *
                        (terms.IsLong ? terms.Size - net + targetEquity : terms.Size + net - targetEquity);
        if (numerator <= 0)
        {
            return 0; // unreachable for a long: even a zero price leaves equity above target
        }

        var quotient = numerator / terms.Size;
        var rounded = terms.IsLong
            ? (numerator % terms.Size == 0 ? quotient : quotient + 1)
            : quotient;
        return (long)Int128.Min(rounded, long.MaxValue);
    }

    /// <summary>Liquidation price: where equity meets the maintenance requirement.</summary>
    public static long LiquidationPrice(PositionTerms terms) =>
        PriceAtEquity(terms, Requirement(terms.Size, terms.MaintenanceMarginBps));

    /// <summary>Margin ratio in bps of size (equity / size); the trader-facing health number.</summary>
    public static long MarginRatioBps(PositionTerms terms, long priceE8) =>
        terms.Size == 0 ? long.MaxValue : checked((long)((Int128)Equity(terms, priceE8) * Units.BpsScale / terms.Size));

    /// <summary>
    /// The smallest close factor (bps of size) after which the rest of the position stands at least
    /// <paramref name="bufferBps"/> above maintenance, simulating the contract's partial liquidation exactly: the
    /// closed part realises its PnL and pays <paramref name="penaltyBps"/> of its notional from the collateral; entry
    /// and margin stay. Returns 10000 (close all) when no partial close restores health.
    /// </summary>
    public static uint HealingCloseFactorBps(PositionTerms terms, long priceE8, long penaltyBps, long bufferBps)
    {
        // Closing more helps only while the penalty per unit closed is below the margin it frees.
        if (penaltyBps >= terms.MaintenanceMarginBps + bufferBps || !IsHealthyAfterClosing(terms, priceE8, penaltyBps, bufferBps, 9_999))
        {
            return (uint)Units.BpsScale;
        }

        long low = 1, high = 9_999; // health is monotone in the close factor here: find the smallest healthy one
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (IsHealthyAfterClosing(terms, priceE8, penaltyBps, bufferBps, mid))
            {
                high = mid;
            }
            else
            {
                low = mid + 1;
            }
        }

        return (uint)low;
    }

    private static bool IsHealthyAfterClosing(PositionTerms terms, long priceE8, long penaltyBps, long bufferBps, long closeFactorBps)
    {
        // A liquidation settles the whole accrued fee first (it goes to the vault), so the rest starts with none.
        var sizeClosed = (long)((Int128)terms.Size * closeFactorBps / Units.BpsScale);
        var collateralLeft = terms.Collateral - terms.BorrowFee + Pnl(terms.IsLong, sizeClosed, terms.EntryPriceE8, priceE8) -
                             (long)((Int128)sizeClosed * penaltyBps / Units.BpsScale);
        if (sizeClosed == 0 || collateralLeft <= 0)
        {
            return false; // the contract closes everything when nothing would be left
        }

        var rest = terms with { Collateral = collateralLeft, Size = terms.Size - sizeClosed, BorrowFee = 0 };
        return Equity(rest, priceE8) >= Requirement(rest.Size, terms.MaintenanceMarginBps + bufferBps);
    }

    private static void RequirePositive(long value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, "must be positive");
        }
    }
}

/// <summary>
/// The numbers that decide a position's health: side, collateral, notional, entry, maintenance margin, and the borrow fee
/// accrued at the moment the terms describe (0 on a market without a borrow rate).
/// </summary>
public readonly record struct PositionTerms(
    bool IsLong, long Collateral, long Size, long EntryPriceE8, long MaintenanceMarginBps, long BorrowFee = 0);
