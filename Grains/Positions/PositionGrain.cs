using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ChainEvents = Aml.Orleans.Ethereum.MarginManagerNames.Events;

namespace Aml.Orleans.Grains.Positions;

/// <summary>
/// One position. It follows the chain (contract events), keeps its row in its market's book shard (bands and the time
/// it is next due), suggests what the trader should do, and routes a signed liquidation when equity falls below
/// maintenance. Nothing here runs on a timer: the shard wakes it, so a quiet position can deactivate.
/// </summary>
internal sealed partial class PositionGrain(
    [PersistentState("position", "aml")] IPersistentState<PositionState> state,
    IOptions<PositionOptions> options,
    IOptions<MarketCatalogOptions> catalog,
    IEnumerable<Outcomes.OutcomeStoreTable> outcomes,
    IEnumerable<Chain.ChainContext> chains,
    TimeProvider clock,
    ILogger<PositionGrain> logger) : Grain, IPositionGrain, IPositionEngineGrain
{
    /// <summary>Block timestamps are whole seconds: a price within the same second as the change is as new as it.</summary>

    private readonly PositionOptions _options = options.Value;

    private readonly DecisionFactory _decisions = new(catalog.Value, options.Value, clock);

    private readonly LiquidationRule _liquidations = new(catalog.Value, options.Value, clock);

    private PositionStatus? _countedStatus;

    private string PositionId => this.GetPrimaryKeyString();

    private PositionTerms Terms => TermsAt(clock.GetUtcNow());

    /// <summary>The terms with the borrow fee accrued at <paramref name="at"/> (<see cref="LiquidationRule.TermsAt"/>).</summary>
    private PositionTerms TermsAt(DateTimeOffset at) => LiquidationRule.TermsAt(state.State, catalog.Value, at, EffectiveMarginBps);

    /// <summary>
    /// The terms the bands are set with: the fee as it will be at the next reassessment, so that a band fires no later
    /// than the exact check would while the fee grows (the reassessment sweep checks exactly).
    /// </summary>
    private PositionTerms BandTerms => TermsAt(clock.GetUtcNow() + _options.ReassessInterval);

    /// <summary>The book shard that holds this position's row.</summary>
    private IMarketBookGrain Shard =>
        GrainFactory.GetGrain<IMarketBookGrain>(BookShardKey.For(state.State.Asset, Key, catalog.Value.BookBucketsFor(state.State.Asset)).ToString());

    private PositionKey Key => PositionKey.Parse(PositionId);

    private long Mark => state.State.LastMarkPriceE8 > 0 ? state.State.LastMarkPriceE8 : state.State.EntryPriceE8;

    /// <summary>The margin the contract applies now: a pending tighter one once its grace period is over.</summary>
    private uint EffectiveMarginBps => LiquidationRule.EffectiveMarginBps(state.State, clock.GetUtcNow());

    /// <summary>
    /// Whether a price at <paramref name="priceAt"/> is one the contract takes for this position: it compares whole
    /// seconds and refuses a price older than the position's last change, so no tolerance here either (a close or a
    /// liquidation signed on an older price would only be reverted or skipped).
    /// </summary>
    private bool IsNewerThanLastChainChange(DateTimeOffset priceAt) => LiquidationRule.IsNewerThanLastChainChange(state.State, priceAt);

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _countedStatus = state.State.Exists ? state.State.Status : null;
        EngineTelemetry.PositionMoved(null, _countedStatus);
        return base.OnActivateAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        EngineTelemetry.PositionMoved(_countedStatus, null);
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <summary>Writes state and keeps the positions-by-state gauge in step with it.</summary>
    private async Task SaveAsync()
    {
        await state.WriteStateAsync();
        var now = state.State.Exists ? state.State.Status : (PositionStatus?)null;
        EngineTelemetry.PositionMoved(_countedStatus, now);
        _countedStatus = now;
    }

    /// <inheritdoc />
    public async Task<PositionResult> OpenAsync(OpenPositionCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var quote = command.Quote;
        var s = state.State;
        if (s.Exists)
        {
            return new PositionResult(false, $"position {PositionId} exists already ({s.Status})", await GetSnapshotAsync());
        }

        // The digest is pure hashing under the deployment's domain: computed here, not asked of the oracle.
        if (chains.FirstOrDefault() is not { } chain)
        {
            return new PositionResult(false, "this silo is not connected to a chain: there is no contract to open on", null);
        }

        if (quote.Kind != DecisionKind.Open || quote.PositionId != PositionId || chain.DigestOf(quote) != command.Digest)
        {
            return new PositionResult(false, $"the digest {command.Digest} is not that of an OPEN for position {PositionId}", null);
        }

        if (quote.ValidUntil <= (ulong)clock.GetUtcNow().ToUnixTimeSeconds())
        {
            return new PositionResult(false, "the quote expired: ask for a new one", null);
        }

        var audit = await GrainFactory.GetGrain<IOracleGrain>(_options.OracleKey).SubmitAsync(quote, command.TraderSignature);
        if (audit.Status == SubmissionStatus.Failed)
        {
            return new PositionResult(false, audit.Outcome, null);
        }

        // The position exists from its open on: the decision is on its way, and the chain's event brings the rest.
        (s.Exists, s.Status, s.Trader, s.Asset, s.IsLong) = (true, PositionStatus.Pending, quote.Trader, quote.Asset, quote.IsLong);
        (s.Collateral, s.Size, s.EntryPriceE8) = (quote.Collateral, quote.Size, quote.MarkPriceE8);
        (s.MaxLeverageX100, s.MaintenanceMarginBps, s.RiskScoreBps) = (quote.MaxLeverageX100, quote.MaintenanceMarginBps, quote.RiskScoreBps);
        (s.ModelHash, s.FeaturesHash, s.PendingDecision, s.PendingDigest) = (quote.ModelHash, quote.FeaturesHash, quote, command.Digest);
        s.UpdatedAt = clock.GetUtcNow();
        await SaveAsync();
        await RecordDecisionAsync(quote, command.Digest, command.Inputs);
        await GrainFactory.GetGrain<ITraderGrain>(s.Trader).RecordOpenAsync(PositionId, (double)quote.Size / quote.Collateral, clock.GetUtcNow());
        return new PositionResult(true, null, await GetSnapshotAsync());
    }

    /// <inheritdoc />
    public Task OnBandCrossedAsync(long priceE8, DateTimeOffset at) => EvaluateAsync(priceE8, at);

    /// <inheritdoc />
    public async Task<CloseResult> RequestCloseAsync()
    {
        var s = state.State;
        if (s.Status is not (PositionStatus.Open or PositionStatus.Adjusting or PositionStatus.Liquidating))
        {
            return new CloseResult(false, $"position {PositionId} is {s.Status}: only an open position closes", null);
        }

        // Only handed out: the trader's wallet sends it, or it expires. Nothing here waits for it, so top-ups, ADJUSTs
        // and liquidation go on, and whichever reaches the chain first moves the version the others then miss.
        var (lastPriceE8, lastTickAt) = await GrainFactory.GetGrain<IMarketGrain>(s.Asset).GetPriceAsync();
        if (!IsNewerThanLastChainChange(lastTickAt) && s.LastChainChangeAt is { } changed)
        {
            // The contract closes at no price older than the position's last change (a top-up, a decision).
            return new CloseResult(
                false, $"the market's latest price is from {lastTickAt:O}, before position {PositionId} last changed on-chain ({changed:O}): ask again after the next price", null);
        }

        var decision = _decisions.Close(PositionId, s, EffectiveMarginBps, lastPriceE8, lastTickAt);
        var signed = await GrainFactory.GetGrain<IOracleGrain>(_options.OracleKey).SignAsync(decision);
        (s.CloseDigest, s.CloseValidUntil) = (signed.Digest, decision.ValidUntil);
        s.UpdatedAt = clock.GetUtcNow();
        await SaveAsync();
        return new CloseResult(true, null, signed);
    }

    /// <inheritdoc />
    public async Task OnDecisionFailedAsync(string digest, string reason, string? revertData = null)
    {
        var s = state.State;
        if (digest != s.PendingDigest)
        {
            if (s.PendingDecision is null && PositionLifecycle.IsLive(s.Status))
            {
                // Not ours to wait for: a liquidation the book shard decided for us in a cascade, or an older decision.
                // The row gets its bands back at the mark, so a liquidation still owed is tried again.
                await PublishAsync(Mark);
            }

            return;
        }

        LogDecisionFailed(PositionId, digest, reason);
        if (s.Status == PositionStatus.Pending)
        {
            s.RejectionReason = RejectionReasons.Explain(reason, revertData);
        }

        s.Status = s.Status switch
        {
            PositionStatus.Pending => PositionStatus.Rejected,
            PositionStatus.Liquidating or PositionStatus.Adjusting => PositionStatus.Open,
            _ => s.Status,
        };
        s.PendingDecision = null;
        s.PendingDigest = null;
        s.UpdatedAt = clock.GetUtcNow();
        await SaveAsync();
        await PublishAsync(Mark); // a refused liquidation is owed still: the row keeps its band crossed and sets a retry
    }

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

    /// <inheritdoc />
    /// <remarks>
    /// Marked at the market's latest price when it is newer than the position's own mark: a warning crossing re-arms
    /// the row in the book without waking the position, so the suggestion is computed here, when it is read.
    /// </remarks>
    public async Task<PositionSnapshot?> GetSnapshotAsync()
    {
        var s = state.State;
        if (!s.Exists)
        {
            return null;
        }

        var live = s.Size > 0 && s.EntryPriceE8 > 0;
        var mark = Mark;
        var (suggestion, reason) = (s.Suggestion, s.SuggestionReason);
        if (live && PositionLifecycle.IsLive(s.Status))
        {
            // Only a price at least as new as the position's own mark (its last look, else its last update, e.g. the
            // chain event that made the entry the mark; not the block's time, which is earlier): a market that lost
            // its newest ticks in a crash must not move the mark back.
            var (priceE8, at) = await GrainFactory.GetGrain<IMarketGrain>(s.Asset).GetPriceAsync();
            mark = priceE8 > 0 && at >= (s.LastMarkAt ?? s.UpdatedAt) ? priceE8 : mark;
            (suggestion, reason) = s.Status == PositionStatus.Liquidating ? (suggestion, reason) : SuggestionAt(mark);
        }

        return new PositionSnapshot(
            PositionId, s.Trader, s.Asset, s.IsLong, s.Status, s.Collateral, s.Size, s.EntryPriceE8,
            s.MaxLeverageX100, s.MaintenanceMarginBps, s.RiskScoreBps, s.OnChainVersion,
            live ? MarginMath.LiquidationPrice(Terms) : 0,
            live ? WarningPrice(Terms) : 0,
            mark,
            live ? MarginMath.MarginRatioBps(Terms, mark) : 0,
            suggestion, reason, s.LastDecisionDigest, s.ModelHash, s.UpdatedAt, s.PendingDigest,
            live ? Terms.BorrowFee : 0, s.EscrowedPayout, s.RejectionReason,
            s.CloseValidUntil > (ulong)clock.GetUtcNow().ToUnixTimeSeconds() ? s.CloseDigest : null, s.CloseDigest is null ? 0 : s.CloseValidUntil);
    }

    private long WarningPrice(PositionTerms terms) =>
        MarginMath.PriceAtEquity(terms, checked((long)((Int128)MarginMath.Requirement(state.State.Size, state.State.MaintenanceMarginBps) *
                                        _options.WarningMultipleBps / Units.BpsScale)));

    /// <summary>
    /// Upserts the position's book row (its terms as the chain has them, its bands at <paramref name="markPriceE8"/> and
    /// when it is next due), or removes it once the status is final; returns when the shard has stored it.
    /// <list type="bullet">
    /// <item>A decision on its way: no bands (the chain event that settles it brings the next row), due when it expires.</item>
    /// <item>Liquidatable at the mark but no decision out (refused, frozen, waiting for a fresher price): the liquidation
    /// band at the liquidation price itself, so the next tick at or beyond it wakes the position, and due one retry
    /// interval from now (the price may never move again). A frozen position gets no band: only the retry.</item>
    /// <item>Otherwise the liquidation and warning (or recovery) bands beyond the mark, due at the next reassessment; a
    /// band the market's price already crossed wakes it at once.</item>
    /// </list>
    /// </summary>
    private async Task PublishAsync(long markPriceE8)
    {
        var s = state.State;
        if (PositionLifecycle.IsFinal(s.Status))
        {
            await Shard.RemoveAsync(Key);
            return;
        }

        if (!PositionLifecycle.IsLive(s.Status) || s.Size <= 0 || s.Collateral <= 0 || s.EntryPriceE8 <= 0 || markPriceE8 <= 0)
        {
            return; // not on-chain yet (an OPEN on its way): its chain event brings the first row
        }

        var now = clock.GetUtcNow();
        var nowSeconds = now.ToUnixTimeSeconds();
        var row = new BookRow(
            Key, s.IsLong, s.RiskScoreBps, s.MaxLeverageX100, s.Collateral, s.Size, s.EntryPriceE8, s.MaintenanceMarginBps,
            s.PendingMarginBps, s.PendingMarginFrom, s.OnChainVersion, BookBand.None, BookBand.None,
            ((s.LastReassessedAt ?? now) + _options.ReassessInterval).ToUnixTimeMilliseconds());
        var wakeIfCrossed = false;
        if (s.PendingDecision is { } pending)
        {
            // The sweep checks "ValidUntil < now" in whole seconds: due just after that second has passed.
            row = row with { NextReassessAtMs = checked(((long)pending.ValidUntil + 1) * 1000) };
        }
        else if (MarginMath.IsLiquidatable(Terms, markPriceE8))
        {
            var liquidation = MarginMath.LiquidationPrice(BandTerms);
            row = row with
            {
                Liquidation = s.Frozen || liquidation <= 0 ? BookBand.None : new BookBand(s.IsLong ? BandDirection.Falling : BandDirection.Rising, liquidation),
                NextReassessAtMs = Math.Min(row.NextReassessAtMs, (now + _options.RetryInterval).ToUnixTimeMilliseconds()),
            };
        }
        else
        {
            row = PositionBands.At(row, markPriceE8, _options.WarningMultipleBps, nowSeconds, BandTerms.BorrowFee);
            wakeIfCrossed = true;
        }

        await Shard.UpsertAsync(row, s.Trader, wakeIfCrossed);
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
        var fill = settling is { Kind: DecisionKind.Liquidate or DecisionKind.Close } ? settling.MarkPriceE8 : (long?)null;
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Position {PositionId}: the outcome store did not take decision {Digest}: {Reason}")]
    private partial void LogOutcomeNotStored(string positionId, string digest, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Position {PositionId}: decision {Digest} is recorded without its features {FeaturesHash} (the open brought none, or not this decision's)")]
    private partial void LogInputsGone(string positionId, string digest, string featuresHash);

    // Debug: a cascade brings ten thousand of these at once; the relay writes one Information line per delivery.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Position {PositionId} follows chain event {EventName}: version {Version}, {Status}")]
    private partial void LogChainEvent(string positionId, string eventName, ulong version, PositionStatus status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Position {PositionId} is liquidatable at {PriceE8} but frozen by the guardian")]
    private partial void LogFrozen(string positionId, long priceE8);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Position {PositionId} liquidation at {PriceE8}: decision {Digest} {Status}")]
    private partial void LogLiquidationRouted(string positionId, long priceE8, string digest, SubmissionStatus status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Position {PositionId} adjusts margin {From} → {To} bps, cap {Cap}: decision {Digest}")]
    private partial void LogAdjustRouted(string positionId, uint from, uint to, uint cap, string digest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Position {PositionId} could not be re-assessed: {Reason}")]
    private partial void LogReassessFailed(string positionId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Position {PositionId} re-assessment waits: its price from {PriceAt} is older than the position's last on-chain change at {ChangedAt}")]
    private partial void LogReassessWaitsForPrice(string positionId, DateTimeOffset priceAt, DateTimeOffset? changedAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Position {PositionId} decision {Digest} failed: {Outcome}")]
    private partial void LogDecisionFailed(string positionId, string digest, string outcome);
}
