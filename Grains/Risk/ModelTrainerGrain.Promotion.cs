using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Risk;

namespace Aml.Orleans.Grains.Risk;

/// <summary>The trainer's shadow review and promotion through the governance delay.</summary>
internal sealed partial class ModelTrainerGrain
{
    /// <inheritdoc />
    public async Task<TrainerStatus> ChallengeAsync(string challengerHash)
    {
        Storage.ModelStoreTable.ParseHash(challengerHash);
        await Risk.StartShadowAsync(challengerHash); // refuses a hash the store lacks or a set for another asset
        state.State.ChallengerHash = challengerHash;
        state.State.Stage = TrainerStages.Shadow;
        state.State.OpId = null;
        state.State.Eta = 0;
        await VerdictAsync($"challenger {challengerHash} runs in shadow");
        return Status();
    }

    /// <inheritdoc />
    public async Task<TrainerStatus> ReviewAsync()
    {
        if (state.State.Stage == TrainerStages.Shadow)
        {
            await JudgeShadowAsync();
        }

        if (state.State.Stage == TrainerStages.Proposed)
        {
            await TryPromoteProposedAsync();
        }

        return Status();
    }

    /// <inheritdoc />
    public Task<TrainerStatus> GetStatusAsync() => Task.FromResult(Status());

    private TrainerStatus Status() =>
        new(Asset, state.State.Stage, state.State.ChallengerHash, state.State.LastVerdict, state.State.OpId, state.State.Eta);

    private async Task JudgeShadowAsync()
    {
        var hash = state.State.ChallengerHash!;
        var shadowStore = shadows.FirstOrDefault() ?? throw new InvalidOperationException("no shadow store (PostgreSQL) to judge the challenger on");
        await Risk.ReviewOutcomesAsync(); // score what was recorded since the last tick first
        var champion = (await Risk.GetModelAsync()).ModelHash;
        var pairs = await shadowStore.MaturedPairsAsync(Asset, champion, hash);
        var judgement = new PromotionRule(options.Value.ShadowDecisions, 1 - new RiskEngineOptions().LeverageAlpha).Judge(pairs);
        switch (judgement.Verdict)
        {
            case ShadowVerdict.Wait:
                await VerdictAsync($"challenger {hash} in shadow: {judgement.Reason}");
                return;
            case ShadowVerdict.Reject:
                await Risk.StopShadowAsync();
                state.State.Stage = TrainerStages.None;
                state.State.ChallengerHash = null;
                await VerdictAsync($"challenger {hash} retired: {judgement.Reason}");
                return;
        }

        // The proposal is sent before the stage moves: a refused setModel leaves the challenger in shadow, judged again next tick.
        string how;
        if (await AllowedAsync(hash))
        {
            how = "already registered on-chain";
        }
        else if (proposers.FirstOrDefault() is { } proposer)
        {
            var proposal = await proposer.ProposeAsync(hash);
            (state.State.OpId, state.State.Eta) = (proposal.Applied ? null : proposal.OpId, proposal.Eta);
            how = proposal.Applied ? "registered on-chain at once (governance delay 0)" : $"setModel queued as {proposal.OpId}, runnable from {proposal.Eta}";
        }
        else
        {
            how = $"waiting for governance to register it (queue setModel({hash}, true) on the admin page)";
        }

        state.State.Stage = TrainerStages.Proposed;
        state.State.ProposalReason = judgement.Reason;
        await VerdictAsync($"challenger {hash} {judgement.Reason}; {how}");
    }

    private async Task TryPromoteProposedAsync()
    {
        var hash = state.State.ChallengerHash!;
        if (!await AllowedAsync(hash) && state.State.OpId is { } opId && proposers.FirstOrDefault() is { } proposer)
        {
            switch (await proposer.ExecuteIfReadyAsync(opId))
            {
                case ProposalState.Waiting:
                    await VerdictAsync($"challenger {hash} {state.State.ProposalReason}; setModel queued as {opId}, waiting for the governance delay (eta {state.State.Eta})");
                    return;
                case ProposalState.Gone when !await AllowedAsync(hash):
                    await Risk.StopShadowAsync();
                    (state.State.Stage, state.State.ChallengerHash, state.State.OpId) = (TrainerStages.None, null, null);
                    await VerdictAsync($"challenger {hash}: its queued registration {opId} is gone (cancelled by the guardian) and the chain does not allow it; retired");
                    return;
            }
        }

        if (!await AllowedAsync(hash))
        {
            return; // the admin has not registered it yet: the next tick looks again
        }

        await Risk.UseStoredModelAsync(hash); // checks the registry itself
        await Risk.StopShadowAsync();
        (state.State.Stage, state.State.ChallengerHash, state.State.OpId, state.State.Eta) = (TrainerStages.None, null, null, 0);
        await VerdictAsync($"promoted {hash}: the chain allows it");
    }
}
