namespace Aml.Orleans.Risk.Backtest;

/// <summary>How one liquidated position settles: the trader's payout, the penalty to the insurance fund, the bad debt.</summary>
public readonly record struct Settled(double Equity, double Penalty, double Payout, double BadDebt);

/// <summary>
/// Settlement as MarginManager charges it (<c>_settleFull</c>): equity = collateral + PnL at the fill − borrow fee;
/// the penalty is <c>penaltyBps</c> of the size closed, capped at the equity left; a negative equity is bad debt
/// (paid by the insurance fund) and no penalty is taken. The simulator liquidates whole positions (the contract's
/// close factor 100 %).
/// </summary>
public static class Settlement
{
    /// <summary>Settles a full liquidation at <paramref name="fill"/>.</summary>
    public static Settled Liquidate(double collateral, double size, bool isLong, double entry, double fill, double penaltyBps, double borrowFee = 0)
    {
        var pnl = size * (isLong ? fill - entry : entry - fill) / entry;
        var equity = collateral + pnl - borrowFee;
        if (equity <= 0)
        {
            return new Settled(equity, 0, 0, -equity);
        }

        var penalty = Math.Min(size * penaltyBps / 10_000, equity);
        return new Settled(equity, penalty, equity - penalty, 0);
    }

    /// <summary>
    /// The borrow fee accrued on <paramref name="size"/> over <paramref name="hours"/>. MarginManager v1 charges none:
    /// the rate is 0 until v2 sets one, and this is the one place that changes then.
    /// </summary>
    public static double BorrowFee(double size, double hours, double rateBpsPerHour = 0) => size * rateBpsPerHour / 10_000 * hours;

    /// <summary>
    /// The price at which equity falls to the maintenance requirement: <c>entry · (1 ∓ (1/L − m))</c>. At or beyond
    /// it the contract lets anyone liquidate.
    /// </summary>
    public static double LiquidationPrice(double entry, double leverage, double margin, bool isLong)
    {
        var distance = (1 / leverage) - margin;
        return isLong ? entry * (1 - distance) : entry * (1 + distance);
    }
}
