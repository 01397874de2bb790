using Aml.Orleans.Grains.Interfaces;
using ChainEvents = Aml.Orleans.Ethereum.MarginManagerNames.Events;

namespace Aml.Orleans.Grains.Positions;

/// <summary>Following the chain's events, and recording each decision and how the position ended for the learning loop.</summary>
internal sealed partial class PositionGrain
{
    /// <inheritdoc />
    public Task NotifyChainEventAsync(ChainPositionEvent chainEvent) => ApplyChainEventAsync(chainEvent);

    /// <inheritdoc />
    /// <remarks>The state follows the chain through <see cref="ChainReconciliation"/>; the follow-up is done here.</remarks>
    public async Task ApplyChainEventAsync(ChainPositionEvent chainEvent)
    {
        ArgumentNullException.ThrowIfNull(chainEvent);
        // The decision this event settles, if ours: a liquidation's fill is its price.
        var settling = chainEvent.DecisionDigest is { } named && named == state.State.PendingDigest ? state.State.PendingDecision : null;
        var applied = AppliedDecisionHashes(chainEvent, state.State); // before the reducer settles our pending copy
        var (next, followUp) = ChainReconciliation.Apply(state.State, chainEvent, clock.GetUtcNow());
        state.State = next;
        if (followUp == ChainFollowUp.Ignored)
        {
            return;
        }

        if (followUp == ChainFollowUp.EscrowOnly)
        {
            await SaveAsync(); // an older event naming an escrowed payout
            return;
        }

        var s = state.State;
        if (applied is { } hashes && chainEvent.BlockNumber >= s.TermsBlock)
        {
            // The terms now in force came from this decision: later decisions cite its model (which is registered).
            // An older event delivered again (the indexer trails the oracle's receipts) must not bring back older terms.
            (s.ModelHash, s.FeaturesHash, s.TermsBlock) = (hashes.ModelHash, hashes.FeaturesHash, chainEvent.BlockNumber);
            s.LastDecisionDigest = chainEvent.DecisionDigest;
        }

        LogChainEvent(PositionId, chainEvent.EventName, s.OnChainVersion, s.Status);
        await SaveAsync();
        switch (followUp)
        {
            case ChainFollowUp.Reevaluate:
                // The position changed under the decision (a top-up, a partial fill): look again at today's terms.
                await EvaluateAsync(Mark, s.LastMarkAt ?? clock.GetUtcNow());
                break;
            case ChainFollowUp.Publish or ChainFollowUp.Remove:
                await PublishAsync(Mark);
                break;
            case ChainFollowUp.RemoveAndRecordOutcome:
                await PublishAsync(Mark);
                await RecordOutcomeAsync(chainEvent); // once: a replayed final event finds the position no longer live
                await SettleOutcomesAsync(chainEvent, settling);
                break;
        }
    }

    /// <summary>
    /// The model and features hashes of the decision whose terms <paramref name="chainEvent"/> puts in force (an OPEN or
    /// ADJUST that applied), or null. The oracle's own deliveries carry them, even when a newer read already moved the
    /// version past our pending copy; the indexer's do not, and then our pending decision, when it is the one named, tells.
    /// </summary>
    private static (string ModelHash, string FeaturesHash)? AppliedDecisionHashes(ChainPositionEvent chainEvent, PositionState s) =>
        chainEvent.EventName is not (ChainEvents.PositionOpened or ChainEvents.RiskUpdated) || chainEvent.DecisionDigest is not { } digest
            ? null
            : chainEvent is { DecisionModelHash: { } model, DecisionFeaturesHash: { } features }
                ? (model, features)
                : digest == s.PendingDigest && s.PendingDecision is { } pending
                    ? (pending.ModelHash, pending.FeaturesHash)
                    : null;


    private Task RecordOutcomeAsync(ChainPositionEvent chainEvent)
    {
        var s = state.State;
        var held = clock.GetUtcNow() - (s.OpenedAt ?? clock.GetUtcNow());
        var leverage = s.Collateral > 0 ? (double)s.Size / s.Collateral : 0;
        return GrainFactory.GetGrain<ITraderGrain>(s.Trader).RecordOutcomeAsync(new PositionOutcome(
            PositionId, s.Status == PositionStatus.Liquidated, chainEvent.RealizedPnl, leverage, held, clock.GetUtcNow()));
    }

    // The outcome store is the learning loop's record, not part of the decision: a failed write is logged, never fatal.
    // The inputs are the assessment's own (an ADJUST) or came back with the quote (an OPEN); inputs of another decision
    // are not stored beside this one.
    private async Task RecordDecisionAsync(Decision decision, string digest, DecisionInputs? inputs)
    {
        var matching = inputs is not null && Outcomes.DecisionInputsCheck.Matches(inputs, decision) ? inputs : null;
        foreach (var store in outcomes)
        {
            try
            {
                await store.RecordAsync(digest, decision, matching, Aml.Orleans.Risk.RiskModelSet.LeverageHorizonHours);
                if (matching is null)
                {
                    LogInputsGone(PositionId, digest, decision.FeaturesHash);
                }
            }
            catch (Npgsql.NpgsqlException ex)
            {
                LogOutcomeNotStored(PositionId, digest, ex.Message);
            }
        }
    }

    private async Task SettleOutcomesAsync(ChainPositionEvent chainEvent, Decision? settling)
    {
        var s = state.State;
        var at = chainEvent.BlockTimestamp != 0 ? DateTimeOffset.FromUnixTimeSeconds((long)chainEvent.BlockTimestamp) : clock.GetUtcNow();
        // A liquidation the book shard decided may land before the position is told of it: the event then names its price.
        var fill = settling is { Kind: DecisionKind.Liquidate or DecisionKind.Close } ? settling.MarkPriceE8 : chainEvent.DecisionMarkPriceE8;
        foreach (var store in outcomes)
        {
            try
            {
                await store.SettleAsync(new Outcomes.Settlement(PositionId, s.Status, at, chainEvent.TransactionHash, chainEvent.RealizedPnl, chainEvent.BadDebt, fill));
            }
            catch (Npgsql.NpgsqlException ex)
            {
                LogOutcomeNotStored(PositionId, chainEvent.DecisionDigest ?? chainEvent.TransactionHash, ex.Message);
            }
        }
    }
}
