using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Risk;
using Microsoft.Extensions.Logging;

namespace Aml.Orleans.Grains.Outcomes;

/// <summary>
/// Matures one asset's recorded decisions from the market's closed candles: once they cover a decision's horizon
/// (<c>[decided_at, decided_at + horizon)</c>, the candles opening at or after the decision's price time, as the
/// training label takes the candles after its close), the max adverse excursion against the decision's price, whether
/// the leverage quantile covered it, and whether the position was liquidated within the horizon (its settlement, from
/// the chain's final event). Runs on an hourly reminder; idempotent, so a tick that finds nothing new writes nothing.
/// Each tick then has the risk grain review the outcomes (its shadow challenger scores the new decisions, its drift watch
/// reads the newly matured ones).
/// </summary>
internal sealed partial class OutcomeGrain(IEnumerable<OutcomeStoreTable> stores, TimeProvider clock, ILogger<OutcomeGrain> logger)
    : Grain, IOutcomeGrain, IRemindable
{
    /// <summary>The market's candles are hourly (the features' and the labels' bar).</summary>
    private static readonly TimeSpan Bar = TimeSpan.FromHours(1);

    private string Asset => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public async Task EnsureScheduledAsync() =>
        await this.RegisterOrUpdateReminder("mature", Bar, Bar);

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        await MatureAsync();
        try
        {
            // The shadow challenger scores what was recorded and the drift watch reads what matured.
            await GrainFactory.GetGrain<IRiskGrain>(Asset).ReviewOutcomesAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or FileNotFoundException or InvalidDataException)
        {
            LogReviewFailed(Asset, ex.Message); // no model served yet, or no store: the next tick tries again
        }
    }

    /// <inheritdoc />
    public async Task<int> MatureAsync()
    {
        if (stores.FirstOrDefault() is not { } store)
        {
            return 0; // no PostgreSQL: nothing was recorded
        }

        var candles = await GrainFactory.GetGrain<IMarketGrain>(Asset).GetCandlesAsync(int.MaxValue);
        if (candles.Count == 0)
        {
            return 0;
        }

        var matured = 0;
        foreach (var row in await store.DueAsync(Asset, candles[^1].OpenTime + Bar))
        {
            var end = row.DecidedAt + TimeSpan.FromHours(row.HorizonHours);
            var window = candles.Where(c => c.OpenTime >= row.DecidedAt && c.OpenTime < end).ToList();
            if (window.Count == 0)
            {
                LogNoCandles(Asset, row.Digest, row.DecidedAt);
                continue; // the market no longer holds them (or never had them): left unmatured, not guessed
            }

            var entry = (double)row.Decision.MarkPriceE8;
            var mae = row.Decision.IsLong
                ? MaxAdverseExcursion.Long(entry, window.Select(c => (double)c.LowE8).ToArray())
                : MaxAdverseExcursion.Short(entry, window.Select(c => (double)c.HighE8).ToArray());
            bool? covered = row.Inputs is { } inputs ? mae <= inputs.LeverageQuantile : null;
            var liquidated = row.FinalStatus == nameof(PositionStatus.Liquidated).ToUpperInvariant() && row.SettledAt < end;
            if (await store.MatureAsync(row.Digest, clock.GetUtcNow(), mae, covered, liquidated))
            {
                matured++;
            }
        }

        return matured;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outcomes {Asset}: the risk grain's review of the outcomes failed: {Reason}")]
    private partial void LogReviewFailed(string asset, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outcomes {Asset}: decision {Digest} of {DecidedAt} has no candles in its horizon; left unmatured")]
    private partial void LogNoCandles(string asset, string digest, DateTimeOffset decidedAt);
}
