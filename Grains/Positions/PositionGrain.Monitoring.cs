using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Telemetry;

namespace Aml.Orleans.Grains.Positions;

/// <summary>How the position watches itself: the shard's wake-ups (band crossed, due), reassessment and liquidation.</summary>
internal sealed partial class PositionGrain
{
    /// <summary>
    /// Looks at the position at <paramref name="priceE8"/>: liquidates when equity is below maintenance (unless a
    /// decision is already on its way), otherwise refreshes the suggestion and the bands to be woken at next.
    /// </summary>
    private async Task EvaluateAsync(long priceE8, DateTimeOffset at)
    {
        using var activity = EngineTelemetry.Source.StartActivity("aml.position.evaluate");
        activity?.SetTag("aml.position_id", PositionId);
        if (!PositionLifecycle.IsLive(state.State.Status) || state.State.Size <= 0)
        {
            return; // a late wake-up for a position that has ended
        }

        state.State.LastMarkPriceE8 = priceE8;
        state.State.LastMarkAt = at;
        if (MarginMath.IsLiquidatable(Terms, priceE8))
        {
            if (state.State.PendingDecision is not null)
            {
                return; // a decision is on its way: the chain event that settles it brings the next terms and row
            }

            // The contract refuses a price older than the position's last change; such a price waits for the next
            // tick (the row keeps its band crossed, with a retry time) instead of spending a decision that would be skipped.
            if (IsNewerThanLastChainChange(at))
            {
                await LiquidateAsync(priceE8, at);
            }
            else
            {
                await SaveAsync();
                await PublishAsync(priceE8);
            }

            return;
        }

        (state.State.Suggestion, state.State.SuggestionReason) = SuggestionAt(priceE8);
        state.State.UpdatedAt = clock.GetUtcNow();
        await SaveAsync();
        await PublishAsync(priceE8);
    }

    /// <inheritdoc />
    /// <remarks>
    /// What a per-position timer used to do, now only when the row says so: a handed-out close or a decision that
    /// expired without an outcome is dropped (so the position may act again); a liquidation that was skipped, refused
    /// or deferred for a fresher price is tried at the market's latest price, since the price may never cross the band
    /// again; and a due reassessment asks the models. Every path ends with the row upserted with its next due time.
    /// </remarks>
    public async Task OnDueAsync()
    {
        var s = state.State;
        if (!PositionLifecycle.IsLive(s.Status))
        {
            await PublishAsync(Mark); // a late sweep of a position that ended: its row goes
            return;
        }

        var now = clock.GetUtcNow();
        if (s.CloseDigest is not null && s.CloseValidUntil < (ulong)now.ToUnixTimeSeconds())
        {
            (s.CloseDigest, s.CloseValidUntil) = (null, 0); // the close handed out was not sent in time: it can never apply
            await SaveAsync();
        }

        if (s.PendingDecision is { } pending && pending.ValidUntil < (ulong)now.ToUnixTimeSeconds())
        {
            // Expired without an outcome reaching us: it can no longer apply, so the position may act again.
            s.PendingDecision = null;
            s.PendingDigest = null;
            s.Status = PositionStatus.Open;
            s.UpdatedAt = now;
            await SaveAsync();
        }

        var reassessmentDue = now - (s.LastReassessedAt ?? DateTimeOffset.MinValue) >= _options.ReassessInterval;
        var (priceE8, at) = await GrainFactory.GetGrain<IMarketGrain>(s.Asset).GetPriceAsync();
        var evaluate = priceE8 > 0 && (reassessmentDue || (s.Size > 0 && MarginMath.IsLiquidatable(Terms, priceE8)));
        var reassess = reassessmentDue && s.Status == PositionStatus.Open && s.PendingDecision is null && !s.Frozen;
        if (evaluate)
        {
            await EvaluateAsync(priceE8, at);
        }

        if (reassess && s.Status == PositionStatus.Open && s.PendingDecision is null)
        {
            await ReassessAsync();
        }
        else if (!evaluate)
        {
            await PublishAsync(Mark);
        }
    }

    /// <inheritdoc />
    public async Task OnLiquidationSubmittedAsync(Decision decision, string digest)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentException.ThrowIfNullOrWhiteSpace(digest);
        var s = state.State;
        if (decision.Kind != DecisionKind.Liquidate || decision.PositionId != PositionId || !PositionLifecycle.IsLive(s.Status) ||
            s.PendingDecision is not null || s.OnChainVersion != decision.PositionVersion)
        {
            return; // the chain's event (or a decision of its own) got here first: that is what the position follows
        }

        s.Status = PositionLifecycle.Move(s.Status is PositionStatus.Adjusting ? PositionStatus.Open : s.Status, PositionStatus.Liquidating);
        (s.PendingDecision, s.PendingDigest) = (decision, digest);
        (s.LastMarkPriceE8, s.LastMarkAt) = (decision.MarkPriceE8, DateTimeOffset.FromUnixTimeSeconds((long)decision.PriceTimestamp));
        (s.Suggestion, s.SuggestionReason) = (Suggestion.Close, $"liquidating: equity below maintenance at {Units.Usd(decision.MarkPriceE8)}");
        s.UpdatedAt = clock.GetUtcNow();
        await SaveAsync(); // its row already waits for the outcome: the shard set it when the oracle took the decision
    }

    /// <inheritdoc cref="IPositionEngineGrain.ReassessAsync" />
    /// <remarks>
    /// Asks the risk models about the position's terms at today's market and sends an ADJUST only when the answer
    /// moved beyond the hysteresis (margin, cap or score), one contract-sized margin step at a time: small model
    /// wobbles must not turn into a stream of transactions.
    /// </remarks>
    public async Task ReassessAsync()
    {
        var s = state.State;
        if (s.Status != PositionStatus.Open || s.PendingDecision is not null || s.Frozen)
        {
            return; // a decision is on its way, or the guardian froze it: nothing to adjust now
        }

        s.LastReassessedAt = clock.GetUtcNow();
        await DecideTermsAsync();
        await PublishAsync(Mark); // the next reassessment, or the decision's expiry
    }

    private async Task DecideTermsAsync()
    {
        var s = state.State;
        var profile = await GrainFactory.GetGrain<ITraderGrain>(s.Trader).GetProfileAsync();
        var priced = await GrainFactory.GetGrain<IRiskEngineGrain>(s.Asset).AssessAsync(TermsHysteresis.Request(s.IsLong, s.Collateral, s.Size, profile));
        if (priced.Assessment is not { } assessment)
        {
            LogReassessFailed(PositionId, priced.Refusal ?? "refused");
            await SaveAsync();
            return;
        }

        var terms = catalog.Value.For(s.Asset);
        var target = s.PendingMarginBps != 0 ? s.PendingMarginBps : EffectiveMarginBps;
        if (!TermsHysteresis.ShouldAdjust(assessment, target, s.MaxLeverageX100, s.RiskScoreBps, _options))
        {
            await SaveAsync();
            return;
        }

        if (!IsNewerThanLastChainChange(assessment.PriceTime))
        {
            // The contract would skip an ADJUST priced before the position's last change: the next reassessment,
            // on a newer price, decides instead of spending a decision now.
            LogReassessWaitsForPrice(PositionId, assessment.PriceTime, s.LastChainChangeAt);
            await SaveAsync();
            return;
        }

        var marginMove = TermsHysteresis.MarginMove(assessment, target);
        var step = (uint)Math.Min(Math.Abs(marginMove), terms.MaxMarginStepBps);
        var margin = marginMove >= 0 ? EffectiveMarginBps + step : EffectiveMarginBps - step;
        var decision = _decisions.Adjust(PositionId, s, assessment, margin);
        s.Status = PositionLifecycle.Move(s.Status, PositionStatus.Adjusting);
        s.PendingDecision = decision;
        s.UpdatedAt = clock.GetUtcNow();
        await SaveAsync();

        var audit = await GrainFactory.GetGrain<IOracleGrain>(_options.OracleKey).SubmitAsync(decision, null);
        s.PendingDigest = audit.Digest;
        if (audit.Status == SubmissionStatus.Failed)
        {
            (s.Status, s.PendingDecision, s.PendingDigest) = (PositionStatus.Open, null, null);
            LogDecisionFailed(PositionId, audit.Digest, audit.Outcome ?? "refused");
        }

        await SaveAsync();
        if (audit.Status != SubmissionStatus.Failed)
        {
            await RecordDecisionAsync(decision, audit.Digest, assessment.Inputs);
        }

        LogAdjustRouted(PositionId, s.MaintenanceMarginBps, margin, assessment.MaxLeverageX100, audit.Digest);
    }

    /// <summary>What the trader should do at <paramref name="priceE8"/>: add collateral below the warning multiple.</summary>
    private (Suggestion Suggestion, string? Reason) SuggestionAt(long priceE8)
    {
        var s = state.State;
        var equity = MarginMath.Equity(Terms, priceE8);
        var requirement = MarginMath.Requirement(s.Size, s.MaintenanceMarginBps);
        var warningEquity = checked((long)((Int128)requirement * _options.WarningMultipleBps / Units.BpsScale));
        return equity < warningEquity
            ? (Suggestion.AddCollateral,
                $"equity {Units.Usdc(equity)} is below {_options.WarningMultipleBps / 100}% of the maintenance requirement {Units.Usdc(requirement)}; " +
                $"add collateral or reduce to stay clear of liquidation at {Units.Usd(MarginMath.LiquidationPrice(Terms))}")
            : (Suggestion.None, null);
    }

    private async Task LiquidateAsync(long priceE8, DateTimeOffset at)
    {
        using var activity = EngineTelemetry.Source.StartActivity("aml.position.liquidate");
        activity?.SetTag("aml.position_id", PositionId);
        var s = state.State;
        if (s.Frozen)
        {
            LogFrozen(PositionId, priceE8);
            await PublishAsync(priceE8); // the guardian froze it: no decision, only a retry until it is unfrozen
            return;
        }

        var decision = _liquidations.Liquidate(PositionId, s, priceE8, at);
        s.Status = PositionLifecycle.Move(s.Status is PositionStatus.Adjusting ? PositionStatus.Open : s.Status, PositionStatus.Liquidating);
        s.PendingDecision = decision;
        (s.Suggestion, s.SuggestionReason) = (Suggestion.Close, $"liquidating: equity below maintenance at {Units.Usd(priceE8)}");
        s.UpdatedAt = clock.GetUtcNow();
        await SaveAsync(); // the intent is durable before anything is signed

        var audit = await GrainFactory.GetGrain<IOracleGrain>(_options.OracleKey).SubmitAsync(decision, null);
        s.PendingDigest = audit.Digest;
        if (audit.Status == SubmissionStatus.Failed)
        {
            s.Status = PositionStatus.Open;
            s.PendingDecision = null;
            s.PendingDigest = null;
            LogDecisionFailed(PositionId, audit.Digest, audit.Outcome ?? "refused");
        }

        await SaveAsync();
        LogLiquidationRouted(PositionId, priceE8, audit.Digest, audit.Status);
        await PublishAsync(priceE8); // after the submit, off the tick-to-signed path: the row now waits for the outcome
    }
}
