using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Outcomes;
using Aml.Orleans.Risk;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aml.Orleans.Grains.Risk;

/// <summary>
/// Retrains an asset's models on a reminder, from the market's history plus the matured outcomes of real decisions (the
/// risk score learns from them once there are <see cref="RiskTrainingOptions.MinLiveOutcomes"/>; before that it learns
/// from simulated positions on the history). A challenger that beats the champion on the recent window of history runs in
/// shadow on live decisions (the risk grain scores every decision with it, it never acts), and is promoted only when its
/// matured shadow metrics beat the champion's (<see cref="PromotionRule"/>): its hash is then proposed on-chain through
/// the governance delay, and the risk grain switches only once the contract's registry allows it.
/// </summary>
internal sealed partial class ModelTrainerGrain(
    [PersistentState("trainer", "aml")] IPersistentState<TrainerState> state,
    IOptions<TrainerOptions> options,
    IOptions<RiskOptions> riskOptions,
    IEnumerable<IModelRegistry> registries,
    IEnumerable<IModelProposer> proposers,
    IEnumerable<Storage.ModelStoreTable> stores,
    IEnumerable<OutcomeStoreTable> outcomes,
    IEnumerable<ShadowStoreTable> shadows,
    TimeProvider clock,
    ILogger<ModelTrainerGrain> logger) : Grain, IModelTrainerGrain, IRemindable
{
    private string Asset => this.GetPrimaryKeyString();

    private IRiskGrain Risk => GrainFactory.GetGrain<IRiskGrain>(Asset);

    /// <inheritdoc />
    public async Task EnsureScheduledAsync() =>
        await this.RegisterOrUpdateReminder("retrain", options.Value.Period, options.Value.Period);

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (state.State.PendingDirectory is not null)
        {
            await TryPromotePendingAsync();
        }
        else if (state.State.Stage == TrainerStages.None)
        {
            await RetrainAsync();
        }
        else
        {
            await ReviewAsync();
        }
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
        var live = outcomes.FirstOrDefault() is { } outcomeStore ? await outcomeStore.MaturedOutcomesAsync(Asset) : [];

        // Training takes seconds to minutes: off the grain's scheduler, so the silo keeps serving meanwhile.
        var challenger = await Task.Run(() => RiskModelSet.Train(series, from, windowStart, options.Value.Training, live));
        var store = stores.FirstOrDefault();
        var champion = await ChampionAsync(Risk, store);
        var challengerScore = challenger.Evaluate(series, windowStart, end);
        var championScore = champion?.Evaluate(series, windowStart, end);
        state.State.LastRunAt = clock.GetUtcNow();
        var learnt = live.Count >= options.Value.Training.MinLiveOutcomes
            ? $"risk score learnt from {live.Count} matured outcomes"
            : $"risk score on simulated positions ({live.Count} of {options.Value.Training.MinLiveOutcomes} matured outcomes)";
        if (championScore is not null && challengerScore.PinballLoss >= championScore.PinballLoss)
        {
            await VerdictAsync($"challenger {challenger.ModelHash} ({learnt}) kept out: pinball loss {challengerScore.PinballLoss:F5} ≥ champion's {championScore.PinballLoss:F5} on the recent window");
            return await Risk.GetModelAsync();
        }

        if (champion is not null && store is not null && shadows.Any())
        {
            await store.PublishAsync(challenger);
            await ChallengeAsync(challenger.ModelHash);
            await VerdictAsync($"challenger {challenger.ModelHash} ({learnt}) beats the champion on the recent window (pinball loss {challengerScore.PinballLoss:F5} vs " +
                               $"{championScore!.PinballLoss:F5}); it runs in shadow until {options.Value.ShadowDecisions} decisions per side have matured");
            return await Risk.GetModelAsync();
        }

        // Nothing served yet (or no PostgreSQL to shadow in): the first set goes straight to its registration.
        var directory = Path.Combine(riskOptions.Value.ModelsRoot, Asset, "candidates", challenger.ModelHash[2..14]);
        challenger.Save(directory);
        state.State.PendingDirectory = directory;
        state.State.PendingHash = challenger.ModelHash;
        await VerdictAsync($"challenger {challenger.ModelHash} ({learnt}, pinball loss {challengerScore.PinballLoss:F5}, coverage {challengerScore.Coverage:P1}) " +
                           "has no champion to shadow; promotion waits for its on-chain registration");
        return await TryPromotePendingAsync() ?? await ChampionStatusOrPendingAsync();
    }

    private async Task<ModelStatus?> TryPromotePendingAsync()
    {
        var hash = state.State.PendingHash!;
        if (!await AllowedAsync(hash))
        {
            return null; // not registered yet: the next reminder tick looks again
        }

        var status = await Risk.UseModelAsync(state.State.PendingDirectory!);
        state.State.PendingDirectory = null;
        state.State.PendingHash = null;
        await VerdictAsync($"promoted {hash}");
        return status;
    }

    private async Task<bool> AllowedAsync(string hash)
    {
        foreach (var registry in registries)
        {
            if (!await registry.IsAllowedAsync(hash))
            {
                return false;
            }
        }

        return true;
    }

    private async Task VerdictAsync(string verdict)
    {
        state.State.LastVerdict = verdict;
        await state.WriteStateAsync();
        LogVerdict(Asset, verdict);
    }

    private async Task<ModelStatus> ChampionStatusOrPendingAsync()
    {
        try
        {
            return await Risk.GetModelAsync();
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
