using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Risk;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aml.Orleans.Grains.Risk;

/// <summary>Where each asset's training history is and how often to retrain.</summary>
public sealed class TrainerOptions
{
    /// <summary>Candle files per asset (merged in time order).</summary>
    public Dictionary<string, string[]> History { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Training starts here (null: at the first candle).</summary>
    public DateTimeOffset? HistoryFrom { get; set; }

    /// <summary>The most recent stretch, held out of training, on which challenger and champion are compared.</summary>
    public TimeSpan RecentWindow { get; set; } = TimeSpan.FromDays(60);

    /// <summary>How often the reminder retrains (and checks a pending promotion's registration).</summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Training settings.</summary>
    public RiskTrainingOptions Training { get; set; } = new();
}

/// <summary>A trainer's durable state: the challenger waiting for its on-chain registration, and the last verdict.</summary>
[GenerateSerializer, Alias("aml.TrainerState")]
public sealed class TrainerState
{
    [Id(0)] public string? PendingDirectory { get; set; }
    [Id(1)] public string? PendingHash { get; set; }
    [Id(2)] public string? LastVerdict { get; set; }
    [Id(3)] public DateTimeOffset? LastRunAt { get; set; }
}

/// <summary>
/// Retrains an asset's models on a reminder. The challenger is trained on history up to the recent window and
/// compared with the champion on that window by the leverage quantile's pinball loss; it is promoted only when it
/// scores lower, and only once the contract's registry allows its hash (registration is governance's act: the
/// silo holds no admin key). Until then it waits as a pending promotion that each reminder tick re-checks.
/// Position outcomes shape the trader profiles the risk score reads; the models themselves learn from the market.
/// </summary>
internal sealed partial class ModelTrainerGrain(
    [PersistentState("trainer", "aml")] IPersistentState<TrainerState> state,
    IOptions<TrainerOptions> options,
    IOptions<RiskOptions> riskOptions,
    IEnumerable<IModelRegistry> registries,
    IEnumerable<Storage.ModelStoreTable> stores,
    TimeProvider clock,
    ILogger<ModelTrainerGrain> logger) : Grain, IModelTrainerGrain, IRemindable
{
    private string Asset => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public async Task EnsureScheduledAsync() =>
        await this.RegisterOrUpdateReminder("retrain", options.Value.Period, options.Value.Period);

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (state.State.PendingDirectory is not null)
        {
            await TryPromotePendingAsync();
            return;
        }

        await RetrainAsync();
    }

    /// <inheritdoc />
    public async Task<ModelStatus> RetrainAsync()
    {
        var files = options.Value.History.GetValueOrDefault(Asset)
                    ?? throw new InvalidOperationException($"no training history configured for {Asset} (Aml:Trainer:History:{Asset})");
        var series = CandleLoader.LoadMerged(files);
        var end = series.Candles[^1].OpenTime;
        var windowStart = end - options.Value.RecentWindow;
        var from = options.Value.HistoryFrom ?? series.Candles[0].OpenTime;

        // Training takes seconds to minutes: off the grain's scheduler, so the silo keeps serving meanwhile.
        var challenger = await Task.Run(() => RiskModelSet.Train(series, from, windowStart, options.Value.Training));
        var risk = GrainFactory.GetGrain<IRiskGrain>(Asset);
        var champion = await ChampionAsync(risk, stores.FirstOrDefault());
        var challengerScore = challenger.Evaluate(series, windowStart, end);
        var championScore = champion?.Evaluate(series, windowStart, end);
        state.State.LastRunAt = clock.GetUtcNow();
        if (championScore is not null && challengerScore.PinballLoss >= championScore.PinballLoss)
        {
            state.State.LastVerdict = $"challenger {challenger.ModelHash} kept out: pinball loss {challengerScore.PinballLoss:F5} ≥ champion's {championScore.PinballLoss:F5}";
            await state.WriteStateAsync();
            LogVerdict(Asset, state.State.LastVerdict);
            return await risk.GetModelAsync();
        }

        var directory = Path.Combine(riskOptions.Value.ModelsRoot, Asset, "candidates", challenger.ModelHash[2..14]);
        challenger.Save(directory);
        state.State.PendingDirectory = directory;
        state.State.PendingHash = challenger.ModelHash;
        state.State.LastVerdict = $"challenger {challenger.ModelHash} beats the champion (pinball loss {challengerScore.PinballLoss:F5} vs " +
                                  $"{championScore?.PinballLoss.ToString("F5", System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, " +
                                  $"coverage {challengerScore.Coverage:P1}); promotion waits for its on-chain registration";
        await state.WriteStateAsync();
        LogVerdict(Asset, state.State.LastVerdict);
        return await TryPromotePendingAsync() ?? await ChampionStatusOrPendingAsync(risk);
    }

    private async Task<ModelStatus?> TryPromotePendingAsync()
    {
        var hash = state.State.PendingHash!;
        foreach (var registry in registries)
        {
            if (!await registry.IsAllowedAsync(hash))
            {
                return null; // not registered yet: the next reminder tick looks again
            }
        }

        var status = await GrainFactory.GetGrain<IRiskGrain>(Asset).UseModelAsync(state.State.PendingDirectory!);
        state.State.LastVerdict = $"promoted {hash}";
        state.State.PendingDirectory = null;
        state.State.PendingHash = null;
        await state.WriteStateAsync();
        return status;
    }

    private async Task<ModelStatus> ChampionStatusOrPendingAsync(IRiskGrain risk)
    {
        try
        {
            return await risk.GetModelAsync();
        }
        catch (FileNotFoundException)
        {
            // No champion at all yet: report the pending challenger as what will be served.
            return new ModelStatus(Asset, state.State.PendingHash!, state.State.PendingDirectory!, clock.GetUtcNow(), 0);
        }
    }

    private static async Task<RiskModelSet?> ChampionAsync(IRiskGrain risk, Storage.ModelStoreTable? store)
    {
        try
        {
            var served = await risk.GetModelAsync();
            // The risk grain publishes whatever it serves, so with a store the champion is found by its hash.
            return (store is null ? null : await store.LoadAsync(served.ModelHash)) ?? RiskModelSet.Load(served.Directory);
        }
        catch (FileNotFoundException)
        {
            return null; // nothing served yet: any trained set is better than none
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Trainer {Asset}: {Verdict}")]
    private partial void LogVerdict(string asset, string verdict);
}
