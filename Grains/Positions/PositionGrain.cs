using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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
}
