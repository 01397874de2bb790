using Orleans.Concurrency;

namespace Aml.Orleans.Grains.Interfaces;

/// <summary>One asset's market (key: <see cref="AssetSymbol"/>): validates ticks, keeps features, feeds its book shards.</summary>
[Alias("aml.IMarketGrain")]
public interface IMarketGrain : IGrainWithStringKey
{
    /// <summary>Validates a tick; when accepted, hands it to the market's book shards, which wake the positions it makes liquidatable.</summary>
    Task<TickOutcome> SubmitTickAsync(MarketTick tick);

    /// <summary>Adds a closed candle to the rolling features (rejected when malformed or out of order).</summary>
    Task<TickOutcome> CloseCandleAsync(MarketCandle candle);

    /// <summary>The newest accepted price (E8; 0 before any) and its time: what a position or a book shard marks at.</summary>
    [ReadOnly]
    Task<(long PriceE8, DateTimeOffset At)> GetPriceAsync();

    /// <summary>The market's counters and last price, with its book shards' positions and armed bands.</summary>
    [ReadOnly]
    Task<MarketSnapshot> GetSnapshotAsync();

    /// <summary>The risk features at the latest closed candle; null until the market has seen enough candles.</summary>
    [ReadOnly]
    Task<MarketFeatures?> GetFeaturesAsync();

    /// <summary>The newest closed candles it keeps (at most <paramref name="limit"/>), oldest first: the price chart.</summary>
    [ReadOnly]
    Task<IReadOnlyList<MarketCandle>> GetCandlesAsync(int limit);
}

/// <summary>
/// One asset's risk models (key: <see cref="AssetSymbol"/>): which model set is served, its promotion, and the market's
/// features fed on each candle close. It prices nothing itself: <see cref="IRiskEngineGrain"/> workers do, from
/// <see cref="GetServingAsync"/>.
/// </summary>
[Alias("aml.IRiskGrain")]
public interface IRiskGrain : IGrainWithStringKey
{
    /// <summary>What the engine workers price with now: the served set's hash and the latest features, or why nothing can be priced.</summary>
    [ReadOnly]
    Task<RiskServing> GetServingAsync();

    /// <summary>The market's features at a candle that just closed (the market grain feeds them; an older set is ignored).</summary>
    [OneWay]
    Task OnCandleClosedAsync(MarketFeatures features);

    /// <summary>Swaps in another model set (already registered on-chain) without a restart, publishing it to the model store.</summary>
    Task<ModelStatus> UseModelAsync(string modelDirectory);

    /// <summary>Swaps in the model store's set <paramref name="modelHash"/> (already registered on-chain) without a restart.</summary>
    Task<ModelStatus> UseStoredModelAsync(string modelHash);

    /// <summary>The model set in use.</summary>
    [ReadOnly]
    Task<ModelStatus> GetModelAsync();

    /// <summary>
    /// Runs the challenger (a set in the model store) in shadow from now on: it scores every decision the champion makes
    /// and never acts. Replaces a challenger already in shadow.
    /// </summary>
    Task StartShadowAsync(string challengerHash);

    /// <summary>Ends the shadow run (the challenger was promoted or retired).</summary>
    Task StopShadowAsync();

    /// <summary>
    /// After outcomes matured: scores the decisions recorded since the last call with the shadow challenger, and moves the
    /// drift watch on the champion's newest matured decisions (a side that enters or leaves the fallback changes what
    /// <see cref="GetServingAsync"/> tells the engine workers). Returns the watch.
    /// </summary>
    Task<DriftStatus> ReviewOutcomesAsync();

    /// <summary>The drift watch as it stands.</summary>
    [ReadOnly]
    Task<DriftStatus> GetDriftAsync();
}

/// <summary>
/// The risk engine for one asset (key: <see cref="AssetSymbol"/>) as a stateless worker on every silo: it prices with the
/// set its risk grain serves (loaded once per silo by hash and kept) and the features fed to that grain at the last
/// candle close, at the market's latest price. Deterministic assessments clamped to the on-chain bounds; nothing is
/// written and no call queues behind another asset's or another quote's.
/// </summary>
[Alias("aml.IRiskEngineGrain")]
public interface IRiskEngineGrain : IGrainWithStringKey
{
    /// <summary>Scores a position with the current market features and the trader's profile, or says why it cannot now.</summary>
    Task<RiskResult> AssessAsync(RiskRequest request);

    /// <summary>
    /// Scores many positions at once, over the compiled trees (bit-identical to <see cref="AssessAsync"/>), in request
    /// order. No explanations and no inputs: a book shard's reassessment sweep only compares the terms with the position's.
    /// </summary>
    Task<RiskBatchResult> AssessBatchAsync(IReadOnlyList<RiskRequest> requests);
}

/// <summary>
/// Prices OPENs: the risk models' terms and the decision (with its digest) for the trader to sign. A stateless worker:
/// a quote writes nothing and activates no position, so asking is free of storage however often it is done.
/// </summary>
[Alias("aml.IQuoteGrain")]
public interface IQuoteGrain : IGrainWithIntegerKey
{
    /// <summary>Terms for <paramref name="request"/> as position <paramref name="positionId"/>, or a reason it cannot be priced.</summary>
    Task<QuoteResult> QuoteAsync(string positionId, QuoteRequest request);
}

/// <summary>
/// One position (key: its 0x-hex bytes32 id) as the trader's side sees it: open it from a quote, ask for its CLOSE,
/// read it. What the engine tells it is <see cref="IPositionEngineGrain"/> (the same grain).
/// </summary>
[Alias("aml.IPositionGrain")]
public interface IPositionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Opens the position a quote priced (<see cref="IQuoteGrain"/>; quotes are not stored) with the trader's signature
    /// over its digest, relayed by the oracle. The position exists from here on.
    /// </summary>
    Task<PositionResult> OpenAsync(OpenPositionCommand command);

    /// <summary>
    /// A CLOSE at the market's latest price, signed by the oracle quorum, for the trader to send (the contract takes a
    /// close only from the trader). The position stays open meanwhile (top-ups and liquidation go on); the request
    /// expires with the decision. Refused, with the reason, while the position is not open or the market's price is
    /// older than the position's last change on-chain.
    /// </summary>
    Task<CloseResult> RequestCloseAsync();

    /// <summary>The position as the trader sees it.</summary>
    [ReadOnly]
    Task<PositionSnapshot?> GetSnapshotAsync();
}

/// <summary>
/// The same position as the engine drives it: its book shard wakes it, the oracle reports a failed decision, the chain
/// indexer and the oracle's receipts deliver contract events. Nothing here is reachable from the gateway.
/// </summary>
[Alias("aml.IPositionEngineGrain")]
public interface IPositionEngineGrain : IGrainWithStringKey
{
    /// <summary>Wakes the position: its book shard found it liquidatable at <paramref name="priceE8"/>.</summary>
    [OneWay]
    Task OnBandCrossedAsync(long priceE8, DateTimeOffset at);

    /// <summary>
    /// Wakes the position at the time its book row was due: a decision or a handed-out close that may have expired,
    /// a liquidation to try again, or a reassessment.
    /// </summary>
    [OneWay]
    Task OnDueAsync();

    /// <summary>
    /// The oracle could not get this position's decision on-chain (refused, reverted); it is not pending any more.
    /// <paramref name="revertData"/> (0x hex) is the contract's custom error when the chain refused it.
    /// </summary>
    [OneWay]
    Task OnDecisionFailedAsync(string digest, string reason, string? revertData = null);

    /// <summary>
    /// Its book shard decided this position's liquidation (a cascade) and the oracle holds it durably under
    /// <paramref name="digest"/>: the position waits for its outcome as for one it submitted itself. Ignored when the
    /// position moved on meanwhile (another version, a decision of its own, an end).
    /// </summary>
    Task OnLiquidationSubmittedAsync(Decision decision, string digest);

    /// <summary>Re-assesses the open position now (its book shard's sweep does it periodically); may send an ADJUST.</summary>
    Task ReassessAsync();

    /// <summary>Applies a contract event about this position, so that grain state follows the chain.</summary>
    Task ApplyChainEventAsync(ChainPositionEvent chainEvent);

    /// <summary>
    /// The same, one-way: the oracle's fast path from its own receipts must not wait on a position that may at that
    /// moment be waiting on the oracle. The indexer delivers every event again, awaited, before its cursor moves.
    /// </summary>
    [OneWay]
    Task NotifyChainEventAsync(ChainPositionEvent chainEvent);
}

/// <summary>One trader (key: checksummed address): behaviour profile and positions.</summary>
[Alias("aml.ITraderGrain")]
public interface ITraderGrain : IGrainWithStringKey
{
    /// <summary>Records a newly opened position.</summary>
    Task RecordOpenAsync(string positionId, double leverage, DateTimeOffset openedAt);

    /// <summary>Records how a position ended.</summary>
    Task RecordOutcomeAsync(PositionOutcome outcome);

    /// <summary>The behaviour profile the risk score reads.</summary>
    [ReadOnly]
    Task<TraderProfile> GetProfileAsync();

    /// <summary>The trader's position ids, newest first.</summary>
    [ReadOnly]
    Task<IReadOnlyList<string>> ListPositionsAsync();
}

/// <summary>The oracle for one chain and contract (key: <c>chainId:contractAddress</c>): M-of-N signing and submission.</summary>
[Alias("aml.IOracleGrain")]
public interface IOracleGrain : IGrainWithStringKey
{
    /// <summary>Has each signer check the decision against the bounds and sign; returns the quorum.</summary>
    Task<SignedDecision> SignAsync(Decision decision);

    /// <summary>
    /// Takes in an engine decision (ADJUST, LIQUIDATE, relayed OPEN) to sign and send; idempotent by digest. Returns once
    /// the decision is durable (status Queued) or refused (Failed, with the reason).
    /// </summary>
    /// <remarks>
    /// Interleaves, for group commit: submissions arriving while the oracle commits or sends a batch are taken into the
    /// next group and made durable together, one state write for all of them. The grain touches its state only in its
    /// flush turns; an interleaved submission only checks the decision and joins the group.
    /// </remarks>
    [AlwaysInterleave]
    Task<DecisionAudit> SubmitAsync(Decision decision, string? traderSignature);

    /// <summary>
    /// Takes in many engine decisions at once (a book shard's liquidations from one tick), as one group: one state write
    /// and one multi-row audit write for all of them. Returns each one's audit, in order, once they are durable.
    /// </summary>
    /// <remarks>Interleaves, as <see cref="SubmitAsync"/> does, and joins the same group commit.</remarks>
    [AlwaysInterleave]
    Task<IReadOnlyList<DecisionAudit>> SubmitBatchAsync(IReadOnlyList<Decision> decisions);

    /// <summary>The EIP-712 digest of <paramref name="decision"/> under this contract's domain (what the trader signs).</summary>
    /// <remarks>
    /// Interleaves because it is a pure function of the deployment (it reads no grain state): a quote must not wait
    /// behind a batch being signed and sent. No call cycle needs it: the oracle never waits on a position.
    /// </remarks>
    [AlwaysInterleave]
    Task<string> GetDigestAsync(Decision decision);

    /// <summary>The audit row of a decision the oracle still holds (operators, tests; positions learn outcomes from their events).</summary>
    [ReadOnly]
    Task<DecisionAudit?> GetAuditAsync(string digest);
}

/// <summary>
/// Follows one contract's logs (key: <c>chainId:contractAddress</c>) and hands position events to their grains.
/// </summary>
[Alias("aml.IChainIndexerGrain")]
public interface IChainIndexerGrain : IGrainWithStringKey
{
    /// <summary>Starts polling (idempotent) and registers the reminder that restarts it after a crash.</summary>
    Task EnsureRunningAsync();

    /// <summary>Reads and delivers everything up to the chain head now; returns the number of events delivered.</summary>
    Task<int> PollAsync();

    /// <summary>The first block not yet read.</summary>
    [ReadOnly]
    Task<ulong> GetNextBlockAsync();
}

/// <summary>A single-use value (key: the value), e.g. a sign-in nonce: cluster-wide, so a replay fails on any silo.</summary>
[Alias("aml.ISingleUseGrain")]
public interface ISingleUseGrain : IGrainWithStringKey
{
    /// <summary>True the first time it is called for this key, false ever after.</summary>
    Task<bool> TryConsumeAsync();

    /// <summary>Whether <see cref="TryConsumeAsync"/> was called for this key.</summary>
    [ReadOnly]
    Task<bool> IsUsedAsync();
}

/// <summary>One asset's trainer (key: <see cref="AssetSymbol"/>): retrains from outcomes and promotes a better challenger.</summary>
[Alias("aml.IModelTrainerGrain")]
public interface IModelTrainerGrain : IGrainWithStringKey
{
    /// <summary>Trains a challenger now (market history plus matured outcomes) and, if it beats the champion on the recent window, runs it in shadow.</summary>
    Task<ModelStatus> RetrainAsync();

    /// <summary>Starts the periodic retrain reminder.</summary>
    Task EnsureScheduledAsync();

    /// <summary>Runs <paramref name="challengerHash"/> (a set in the model store) in shadow against the champion, as a retrain does with its own.</summary>
    Task<TrainerStatus> ChallengeAsync(string challengerHash);

    /// <summary>
    /// One step of the loop, as each reminder tick takes it: judge the shadow challenger on its matured decisions (propose it
    /// on-chain when it wins, retire it when it loses), or, once proposed, switch the risk grain when the chain allows it.
    /// </summary>
    Task<TrainerStatus> ReviewAsync();

    /// <summary>Where the loop stands.</summary>
    [ReadOnly]
    Task<TrainerStatus> GetStatusAsync();
}
