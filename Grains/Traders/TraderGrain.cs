using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Traders;

/// <summary>
/// One trader's behaviour profile. A new trader starts from the population prior (the simulated trader population
/// the risk-score model was trained on, design/RISK.md) and moves toward their own record as outcomes accumulate.
/// </summary>
internal sealed class TraderGrain(
    [PersistentState("trader", "aml")] IPersistentState<TraderState> state,
    TimeProvider clock) : Grain, ITraderGrain
{
    /// <summary>Population liquidation rate and how many outcomes it weighs as (Beta prior for the smoothed rate).</summary>
    internal const double PriorLiquidationRate = 0.05;

    internal const double PriorWeight = 10;

    /// <summary>How many recent outcomes make up the recent PnL.</summary>
    internal const int RecentWindow = 20;

    /// <inheritdoc />
    public async Task RecordOpenAsync(string positionId, double leverage, DateTimeOffset openedAt)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(positionId);
        if (state.State.Positions.Contains(positionId))
        {
            return; // recorded already: a retried call must not count twice
        }

        state.State.Positions.Add(positionId);
        state.State.LeverageSum += leverage;
        state.State.FirstOpenAt ??= openedAt;
        await state.WriteStateAsync();
    }

    /// <inheritdoc />
    public async Task RecordOutcomeAsync(PositionOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (!state.State.FinishedPositions.Add(outcome.PositionId))
        {
            return; // counted already: chain events may be delivered twice (receipt and indexer)
        }

        state.State.Finished++;
        if (outcome.Liquidated)
        {
            state.State.Liquidations++;
        }

        state.State.HoldingHoursSum += Math.Max(0, outcome.Held.TotalHours);
        state.State.RecentPnl.Add(outcome.Pnl);
        if (state.State.RecentPnl.Count > RecentWindow)
        {
            state.State.RecentPnl.RemoveAt(0);
        }

        await state.WriteStateAsync();
    }

    /// <inheritdoc />
    public Task<TraderProfile> GetProfileAsync()
    {
        var s = state.State;
        var opened = s.Positions.Count;
        var days = s.FirstOpenAt is { } first ? Math.Max(1, (clock.GetUtcNow() - first).TotalDays) : 1;
        return Task.FromResult(new TraderProfile(
            this.GetPrimaryKeyString(),
            opened,
            s.Liquidations,
            (s.Liquidations + (PriorLiquidationRate * PriorWeight)) / (s.Finished + PriorWeight),
            opened == 0 ? 0 : s.LeverageSum / opened,
            s.Finished == 0 ? 0 : s.HoldingHoursSum / s.Finished,
            s.RecentPnl.Sum(),
            opened / days));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListPositionsAsync() =>
        Task.FromResult<IReadOnlyList<string>>(Enumerable.Reverse(state.State.Positions).ToList());
}
