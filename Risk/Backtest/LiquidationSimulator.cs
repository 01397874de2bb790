namespace Aml.Orleans.Risk.Backtest;

/// <summary>What happened to one position under one policy.</summary>
public readonly record struct Outcome(
    double Leverage, bool AtCap, bool Liquidated, Trigger? Trigger, double Fill, double Impact, double BadDebt, double Penalty);

/// <summary>
/// Executes liquidations for one policy's terms (RISK.md "Liquidation is executed, not assumed"): each position
/// opens at its decision point's close with <c>min(requested, cap)</c>, is watched for 24 h on the finest bars the tape
/// has, and when its liquidation price is crossed it is closed at the worst price of the execution window moved by
/// the impact of everything liquidated in that hour (<see cref="CascadeBook"/>), then settled as the contract does.
/// Two passes, so the cascade is order-free: first every trigger is found and its notional booked, then each fill
/// reads its hour's total.
/// </summary>
public static class LiquidationSimulator
{
    /// <summary>Simulates <paramref name="positions"/> under <paramref name="terms"/> (one per position).</summary>
    public static Outcome[] Run(
        MarketTape tape, IReadOnlyList<DecisionPoint> points, IReadOnlyList<SimulatedPosition> positions, IReadOnlyList<Terms> terms,
        double penaltyBps, double impactConstant = CascadeBook.DefaultImpactConstant, double borrowRateBpsPerHour = 0)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(terms);
        if (terms.Count != positions.Count)
        {
            throw new ArgumentException($"{terms.Count} terms for {positions.Count} positions", nameof(terms));
        }

        var book = new CascadeBook(impactConstant);
        var outcomes = new Outcome[positions.Count];
        for (var i = 0; i < positions.Count; i++)
        {
            var position = positions[i];
            var point = points[position.Point];
            var (cap, margin) = terms[i];
            var leverage = Math.Min(position.RequestedLeverage, cap);
            var size = position.Collateral * leverage;
            var liquidationPrice = Settlement.LiquidationPrice(point.Close, leverage, margin, position.IsLong);
            var trigger = tape.FindTrigger(point.Hour + 1, point.Hour + TrainingSet.LongHorizon, position.IsLong, liquidationPrice);
            if (trigger is { } t)
            {
                book.Add(t.Hour, size);
            }

            outcomes[i] = new Outcome(leverage, position.RequestedLeverage >= cap, trigger is not null, trigger, double.NaN, 0, 0, 0);
        }

        for (var i = 0; i < positions.Count; i++)
        {
            if (outcomes[i].Trigger is not { } t)
            {
                continue;
            }

            var position = positions[i];
            var point = points[position.Point];
            // The market state known at the last hourly close before the trigger.
            var impact = book.Impact(t.Hour, tape.DayVolatility(t.Hour - 1), tape.QuoteVolume24h(t.Hour - 1));
            var fill = CascadeBook.Fill(t.WorstPrice, impact, position.IsLong);
            var size = position.Collateral * outcomes[i].Leverage;
            var fee = Settlement.BorrowFee(size, (t.Time - point.Time).TotalHours, borrowRateBpsPerHour);
            var settled = Settlement.Liquidate(position.Collateral, size, position.IsLong, point.Close, fill, penaltyBps, fee);
            outcomes[i] = outcomes[i] with { Fill = fill, Impact = impact, BadDebt = settled.BadDebt, Penalty = settled.Penalty };
        }

        return outcomes;
    }
}
