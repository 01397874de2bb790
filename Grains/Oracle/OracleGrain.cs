using System.Diagnostics;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>
/// The oracle of one chain and contract. Each signer it holds checks a decision against the market's bounds and the
/// market's feed guard as last read before signing; nothing is read from the chain before signing a batch (nonce, fees
/// and the chain's clock are kept by <see cref="RelayerAccount"/>, gas comes from <see cref="GasModel"/>), and the
/// contract skips an item that no longer holds. Engine decisions are group-committed: those arriving while a flush turn
/// runs are made durable together by the next one, then go out in <c>applyDecisions</c> batches under one quorum;
/// relayed OPENs go out one by one with the trader's signature (estimated, so a refused one is refused with its
/// reason). One transaction is in flight at a time, persisted with its raw bytes before broadcast and sent outside the
/// grain's turns (its receipt settles in a later flush turn): after a crash the same bytes are sent again (the chain
/// cannot apply them twice), and a decision is settled once, by its digest. The grain never waits on a position.
/// </summary>
internal sealed partial class OracleGrain(
    [PersistentState("oracle", "aml")] IPersistentState<OracleState> state,
    ChainContext chain,
    ChainEventRelay relay,
    MarketGuardReader guards,
    IOptions<OracleOptions> options,
    IOptions<MarketCatalogOptions> catalog,
    TimeProvider clock,
    IEnumerable<IDecisionAuditLog> auditLogs,
    ILogger<OracleGrain> logger) : Grain, IOracleGrain, IRemindable
{
    private const string ResumeReminder = "oracle-resume";
    private readonly OracleOptions _options = options.Value;
    private IGrainTimer? _flushTimer;
    private bool _reminderRegistered;

    // Submissions not yet durable, and the signal their callers wait for: the next flush turn commits them all with one
    // state write and one audit upsert (group commit); submissions arriving meanwhile make up the next group.
    private List<OracleEntry> _intake = [];
    private TaskCompletionSource _intakeCommitted = NewCommitSignal();

    // The broadcast of the transaction in flight, running outside the grain's turns: a flush turn looks at it and
    // settles the receipt once it is there, so no turn ever waits for the chain to mine.
    private Task<TransactionReceipt>? _sending;
    private RelayerAccount? _account;

    // The parts the grain owns: what its signers sign, how a batch is chosen and encoded, how its transactions move.
    private SigningPolicy? _signers;
    private BatchEncoder? _encoder;
    private TransactionTracker? _transactions;
    private DateTimeOffset _lastReorgCheck;
    private bool _auditFailing;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.NextBatchNonce == 0)
        {
            state.State.NextBatchNonce = (ulong)clock.GetUtcNow().ToUnixTimeMilliseconds();
        }

        if (HasWork)
        {
            LogResuming(state.State.Queue.Count, state.State.InFlight?.Hash);
            ScheduleFlush();
        }

        await base.OnActivateAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<SignedDecision> SignAsync(Decision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (decision.Kind == Interfaces.DecisionKind.Close && LiveClose(decision) is { } live)
        {
            return live; // the same signed CLOSE again, never a second price for the same version
        }

        if (await Signers.RefusalToSignAsync(decision) is { } violation)
        {
            throw new ArgumentException($"decision refused by the signers: {violation}", nameof(decision));
        }

        var digest = chain.ToChain(decision).Digest(chain.Domain);
        var quorum = await Signers.QuorumAsync(digest);
        var signed = new SignedDecision(decision, Hex.Encode(digest), ChainContext.BitmapHex(quorum.SignerBitmap), Hex.Encode(quorum.Signatures));
        if (decision.Kind == Interfaces.DecisionKind.Close)
        {
            PruneExpiredCloses();
            state.State.LiveCloses[decision.PositionId] = signed;
            await state.WriteStateAsync(); // durable before the trader holds it: a restarted oracle must not sign another
        }

        return signed;
    }

    /// <summary>The CLOSE already signed for this position at this version that can still land, if any.</summary>
    private SignedDecision? LiveClose(Decision decision) =>
        state.State.LiveCloses.TryGetValue(decision.PositionId, out var live) &&
        live.Decision.PositionVersion == decision.PositionVersion &&
        live.Decision.ValidUntil > (ulong)clock.GetUtcNow().ToUnixTimeSeconds()
            ? live
            : null;

    private void PruneExpiredCloses()
    {
        var now = (ulong)clock.GetUtcNow().ToUnixTimeSeconds();
        foreach (var positionId in state.State.LiveCloses.Where(c => c.Value.Decision.ValidUntil <= now).Select(c => c.Key).ToList())
        {
            state.State.LiveCloses.Remove(positionId);
        }
    }

    /// <inheritdoc />
    public async Task<DecisionAudit> SubmitAsync(Decision decision, string? traderSignature)
    {
        ArgumentNullException.ThrowIfNull(decision);
        using var activity = EngineTelemetry.Source.StartActivity("aml.oracle.submit");
        var digest = chain.DigestOf(decision);
        activity?.SetTag("aml.decision_digest", digest);
        activity?.SetTag("aml.decision_kind", decision.Kind.ToString());
        if (state.State.Entries.TryGetValue(digest, out var known))
        {
            return known.ToAudit(); // the same decision again: never a second transaction
        }

        // Interleaved with the flush turn (see the interface): from here on only the intake is touched, never the state.
        if (_intake.Find(e => e.Digest == digest && e.Status == SubmissionStatus.Queued) is { } joining)
        {
            var joined = joining.ToAudit();
            await _intakeCommitted.Task;
            return joined;
        }

        var entry = new OracleEntry
        {
            Decision = decision, Digest = digest, TraderSignature = traderSignature, UpdatedAt = clock.GetUtcNow(),
            QueuedAt = clock.GetUtcNow(), TraceParent = Activity.Current?.Id, Status = SubmissionStatus.Queued,
        };
        if (Signers.RefusalToSubmit(decision, traderSignature) is { } violation)
        {
            // Audited, but not remembered by digest: a corrected submission (say, a valid trader signature) may follow.
            entry.Status = SubmissionStatus.Failed;
            entry.Outcome = $"refused before signing: {violation}";
            LogRefused(digest, decision.PositionId, violation);
        }

        _intake.Add(entry);
        var committed = _intakeCommitted.Task; // the signal of the group this entry joined
        var taken = entry.ToAudit(); // as committed: by the time the caller hears, the same turn may have sent it already
        FlushNow();
        await committed; // durable before the caller hears "queued"
        return taken;
    }

    /// <inheritdoc />
    public Task<string> GetDigestAsync(Decision decision) => Task.FromResult(chain.DigestOf(decision));

    /// <inheritdoc />
    public Task<DecisionAudit?> GetAuditAsync(string digest) =>
        Task.FromResult(state.State.Entries.TryGetValue(digest, out var entry) ? entry.ToAudit() : null);

    /// <inheritdoc />
    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        // The reminder only brings the grain back after a crash; activation resumes the work.
        if (HasWork)
        {
            ScheduleFlush();
        }

        return Task.CompletedTask;
    }

    private bool HasWork => _intake.Count > 0 || state.State.Queue.Count > 0 || state.State.InFlight is not null ||
                            state.State.Unconfirmed.Count > 0 || state.State.AuditOutbox.Count > 0;

    private void ScheduleFlush() =>
        _flushTimer ??= this.RegisterGrainTimer(FlushAsync, new GrainTimerCreationOptions
        {
            DueTime = _options.BatchWindow,
            Period = _options.BatchWindow,
            Interleave = false,
            KeepAlive = true,
        });

    /// <summary>
    /// A flush turn as soon as the grain is free: a decision never waits for a batch window to pass. Those that arrive
    /// while a flush turn runs join the next one.
    /// </summary>
    private void FlushNow()
    {
        ScheduleFlush();
        _flushTimer!.Change(TimeSpan.Zero, _options.BatchWindow);
    }

    private static TaskCompletionSource NewCommitSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Makes every submission taken in since the last flush durable with one state write (which also stages their audit
    /// rows) and one audit upsert, then releases their callers: a whole group of decisions costs two round trips.
    /// </summary>
    private async Task CommitIntakeAsync()
    {
        if (_intake.Count == 0)
        {
            return;
        }

        var (group, committed) = (_intake, _intakeCommitted);
        (_intake, _intakeCommitted) = ([], NewCommitSignal());
        foreach (var entry in group.Where(e => e.Status == SubmissionStatus.Queued && !state.State.Entries.ContainsKey(e.Digest)))
        {
            state.State.Entries[entry.Digest] = entry;
            state.State.Queue.Add(entry.Digest);
        }

        try
        {
            await SaveAndAuditAsync(group);
            await EnsureResumeReminderAsync();
        }
        catch (Exception ex)
        {
            // Not acknowledged: the callers hear why. The queued ones stay in memory and go out with the next write.
            committed.SetException(ex);
            throw;
        }

        EngineTelemetry.OracleCommitGroupSize.Record(group.Count);
        committed.SetResult();
    }

    private async Task EnsureResumeReminderAsync()
    {
        if (!_reminderRegistered)
        {
            // After a crash the reminder re-activates the grain wherever the cluster puts it, and activation resumes.
            await this.RegisterOrUpdateReminder(ResumeReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            _reminderRegistered = true;
        }
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        await CommitIntakeAsync();
        await DrainAuditOutboxAsync();
        try
        {
            if (state.State.InFlight is not null && !await SettleInFlightAsync(cancellationToken))
            {
                return; // still unsettled: try again next period, keeping the order of the queue
            }

            if (await ReorgedOutAsync(cancellationToken))
            {
                return; // the undone transaction is in flight again: it settles on the next period
            }

            while (state.State.Queue.Count > 0 && state.State.InFlight is null)
            {
                await SendNextAsync(cancellationToken);
            }

            if (Account.IsStale && (state.State.InFlight is not null || state.State.Queue.Count > 0))
            {
                await Account.RefreshAsync(cancellationToken); // after sending: the next batch signs with what is read here
            }
        }
        catch (Exception ex) when (ex is JsonRpcException or HttpRequestException or TimeoutException or TaskCanceledException)
        {
            LogChainUnavailable(ex.Message);
            return; // the chain is unreachable: the work stays queued and durable
        }

        PruneSettled();
        if (!HasWork)
        {
            _flushTimer?.Dispose();
            _flushTimer = null;
        }
    }

    private async Task SendNextAsync(CancellationToken cancellationToken)
    {
        var batch = BatchEncoder.NextBatch(state.State.Queue, state.State.Entries, _options.MaxBatchSize);
        var refused = new List<(OracleEntry Entry, string Reason)>();
        foreach (var entry in batch)
        {
            if (await Signers.GuardViolationAsync(entry.Decision, cancellationToken) is { } reason)
            {
                refused.Add((entry, reason));
            }
        }

        foreach (var group in refused.GroupBy(r => r.Reason))
        {
            await FailAsync(group.Select(r => r.Entry).ToList(), $"refused before signing: {group.Key}");
        }

        batch = batch.Except(refused.Select(r => r.Entry)).ToList();
        if (batch.Count == 0)
        {
            return;
        }

        using var activity = EngineTelemetry.Source.StartActivity("aml.oracle.send", ActivityKind.Client, parentContext: default, links: TraceLinks(batch));
        activity?.SetTag("aml.batch_size", batch.Count);
        var (_, chainNow) = await Account.CurrentAsync(cancellationToken);
        var (calldata, batchNonce, bitmap) = await Encoder.EncodeAsync(batch, state.State.NextBatchNonce, chainNow, cancellationToken);
        if (batchNonce is not null)
        {
            state.State.NextBatchNonce++; // taken, whatever happens to this transaction: a batch nonce is never reused
        }

        SignedTransaction tx;
        try
        {
            // A relayed OPEN is estimated: a trader's open the chain would refuse (halted, above the wallet's balance) is
            // refused here with the contract's or the token's decoded reason. A batch is not: its gas is modelled per
            // kind, and what no longer holds is skipped by the contract, item by item.
            var gas = batchNonce is null
                ? await chain.Sender.EstimateGasAsync(Relayer.Address, chain.Contract.Contract, calldata, cancellationToken)
                : GasModel.Batch(batch.Select(e => e.Decision.Kind));
            var (fees, _) = await Account.CurrentAsync(cancellationToken);
            tx = await chain.Sender.SignEip1559Async(
                Relayer, chain.Contract.Contract, calldata, fees, gas, await Account.NextNonceAsync(cancellationToken), cancellationToken);
        }
        catch (ExecutionRevertedException revert)
        {
            // The whole transaction would revert (expired, halted, refused quorum): nothing was sent.
            await FailAsync(batch, $"would revert: {revert.DecodedError?.ToString() ?? revert.RpcMessage}", Hex.Encode(revert.RevertData));
            return;
        }

        Transactions.Sent(tx, batchNonce, batch, bitmap);
        await SaveAndAuditAsync(batch); // the exact bytes are durable before they leave this process
        LogSending(tx.Hash.ToString(), batch.Count, batchNonce);
        activity?.SetTag("aml.tx_hash", tx.Hash.ToString());
        _sending = Broadcast(tx); // settled by a later flush turn, once the receipt is in
    }

    /// <summary>Links to the traces that submitted <paramref name="batch"/>'s decisions (the ticks that caused them).</summary>
    private static List<ActivityLink> TraceLinks(IEnumerable<OracleEntry> batch) =>
        batch.Where(e => e.TraceParent is not null && ActivityContext.TryParse(e.TraceParent, null, out _))
            .Select(e => new ActivityLink(ActivityContext.Parse(e.TraceParent!, null))).ToList();

    /// <summary>Sends <paramref name="tx"/> off the grain's scheduler; the task ends with its receipt.</summary>
    private Task<TransactionReceipt> Broadcast(SignedTransaction tx) =>
        Task.Run(() => chain.Sender.SendAsync(tx, CancellationToken.None));

    private RelayerAccount Account => _account ??= new RelayerAccount(chain.Rpc, Relayer.Address, clock, _options.GuardRefreshInterval);

    private SigningPolicy Signers => _signers ??= new SigningPolicy(chain, guards, catalog.Value, clock);

    private BatchEncoder Encoder => _encoder ??= new BatchEncoder(chain, Signers, _options.BatchTtl);

    private TransactionTracker Transactions => _transactions ??= new TransactionTracker(() => state.State, clock);

    /// <summary>
    /// Finds out what became of the transaction in flight without waiting for the chain; true when it is settled (or
    /// requeued), false while it is still on its way.
    /// </summary>
    private async Task<bool> SettleInFlightAsync(CancellationToken cancellationToken)
    {
        var inFlight = state.State.InFlight!;
        if (_sending is { IsCompleted: false })
        {
            return false;
        }

        var sending = _sending;
        _sending = null;
        if (sending is { IsCompletedSuccessfully: true })
        {
            await SettleAsync(sending.Result);
            return true;
        }

        if (sending?.Exception?.GetBaseException() is { } failure)
        {
            await Account.ResyncAsync(cancellationToken); // whatever went wrong, the chain's nonce count is the truth again
            if (failure is TransactionUnderpricedException)
            {
                // The base fee rose past what the transaction may pay, so the node refused it and will refuse the same
                // bytes again: its decisions are signed anew at today's fees (its nonce is still free).
                await Account.RefreshAsync(cancellationToken);
            }

            if (failure is NonceTooLowException or TransactionUnderpricedException)
            {
                await RequeueAsync(inFlight);
                return true;
            }

            LogSendFailed(inFlight.Hash, failure.Message);
        }

        // After a crash, a timeout or a failed send: the receipt, else the same bytes again (a node that has them
        // already, or mined them, cannot apply them twice).
        var tx = new SignedTransaction(Hex.Decode(inFlight.Raw), Bytes32.Parse(inFlight.Hash), Relayer.Address, inFlight.Nonce);
        if (await chain.Rpc.GetTransactionReceiptAsync(tx.Hash, cancellationToken) is { } receipt)
        {
            await SettleAsync(receipt);
            return true;
        }

        _sending = Broadcast(tx);
        return false;
    }

    /// <summary>
    /// Our nonce went to another transaction and this one never landed: its decisions go out again, in a new
    /// transaction (a batch under a new batch nonce; the old one can no longer be used by anyone).
    /// </summary>
    private async Task RequeueAsync(OracleTransaction inFlight)
    {
        LogRequeued(inFlight.Hash, inFlight.Digests.Count);
        Transactions.Requeue();
        await state.WriteStateAsync();
    }

    private async Task SettleAsync(TransactionReceipt receipt)
    {
        var inFlight = state.State.InFlight!;
        var batch = inFlight.Digests.Select(d => state.State.Entries[d]).ToList();
        using var activity = EngineTelemetry.Source.StartActivity("aml.oracle.settle", ActivityKind.Internal, parentContext: default, links: TraceLinks(batch));
        activity?.SetTag("aml.tx_hash", inFlight.Hash);
        activity?.AddEvent(new ActivityEvent("receipt", tags: new ActivityTagsCollection { ["gas_used"] = receipt.GasUsed, ["block"] = receipt.BlockNumber }));
        if (!receipt.Succeeded)
        {
            // Nothing estimated a batch before it went out: why it reverted (expired, halted) is replayed now.
            var tx = new SignedTransaction(Hex.Decode(inFlight.Raw), Bytes32.Parse(inFlight.Hash), Relayer.Address, inFlight.Nonce);
            var revert = await chain.Sender.ReplayRevertAsync(tx, receipt);
            Transactions.Dropped();
            await FailAsync(
                batch, $"reverted in block {receipt.BlockNumber}{(revert is null ? "" : $": {revert.DecodedError?.ToString() ?? revert.RpcMessage}")}",
                revert is null ? null : Hex.Encode(revert.RevertData));
            return;
        }

        foreach (var entry in Transactions.Mined(TransactionTracker.Outcomes(PositionEvents(receipt), receipt.BlockNumber), receipt.BlockNumber ?? 0, receipt.BlockHash?.ToString()))
        {
            Settled(entry);
        }

        await SaveAndAuditAsync(batch);
        LogSettled(receipt.TransactionHash.ToString(), receipt.GasUsed, batch.Count(e => e.Status == SubmissionStatus.Applied), batch.Count);

        // The positions follow the chain now rather than at the indexer's next poll. The relay reads each position from
        // the chain, so it runs outside the grain's turns; the indexer delivers every event again if this is lost.
        var decisions = batch.ToDictionary(e => e.Digest, e => e.Decision, StringComparer.Ordinal);
        _ = Task.Run(() => RelayAsync(receipt, decisions));
    }

    private async Task RelayAsync(TransactionReceipt receipt, IReadOnlyDictionary<string, Decision> decisions)
    {
        try
        {
            await relay.DeliverAsync(receipt.Logs, awaitDelivery: false, decisions);
        }
        catch (Exception ex) when (ex is JsonRpcException or HttpRequestException or TimeoutException or TaskCanceledException)
        {
            LogRelayFailed(receipt.TransactionHash.ToString(), ex.Message);
        }
    }

    /// <summary>
    /// Watches mined transactions until they are <see cref="OracleOptions.ConfirmationDepth"/> blocks deep. One that a
    /// reorg removed goes back in flight with its very same bytes (same hash, same nonce, which the reorg freed), so
    /// its decisions land again exactly once; true when that happened.
    /// </summary>
    private IEnumerable<PositionEventLog> PositionEvents(TransactionReceipt receipt) =>
        receipt.Logs.Where(log => log.Address == chain.Contract.Contract)
            .Select(log => PositionEventLog.TryDecode(chain.Abi, log.Topics, log.Data)).OfType<PositionEventLog>();

    private async Task<bool> ReorgedOutAsync(CancellationToken cancellationToken)
    {
        if (state.State.Unconfirmed.Count == 0 || clock.GetUtcNow() - _lastReorgCheck < _options.ReorgCheckInterval)
        {
            return false;
        }

        _lastReorgCheck = clock.GetUtcNow();
        var changed = false;
        var head = await chain.Rpc.GetBlockNumberAsync(cancellationToken);
        foreach (var tx in state.State.Unconfirmed.ToList())
        {
            var receipt = await chain.Rpc.GetTransactionReceiptAsync(Bytes32.Parse(tx.Hash), cancellationToken);
            if (receipt is null)
            {
                LogReorged(tx.Hash, tx.Block, tx.Digests.Count);
                await SaveAndAuditAsync(Transactions.Reorged(tx));
                return true;
            }

            // Re-included elsewhere is as good. Buried deep enough, or old enough on a chain that mines only on demand
            // (anvil), it is final.
            (tx.BlockHash, tx.Block) = (receipt.BlockHash?.ToString(), receipt.BlockNumber ?? tx.Block);
            if (head >= tx.Block + _options.ConfirmationDepth || clock.GetUtcNow() - tx.SentAt > _options.ReorgWatch)
            {
                state.State.Unconfirmed.Remove(tx);
                changed = true;
            }
        }

        if (changed)
        {
            await state.WriteStateAsync();
        }

        return false;
    }

    private async Task FailAsync(List<OracleEntry> batch, string outcome, string? revertData = null)
    {
        foreach (var entry in batch)
        {
            entry.Status = SubmissionStatus.Failed;
            entry.Outcome = outcome;
            entry.UpdatedAt = clock.GetUtcNow();
            Settled(entry);
            state.State.Queue.Remove(entry.Digest);
            LogRefused(entry.Digest, entry.Decision.PositionId, outcome);
        }

        await SaveAndAuditAsync(batch);
        foreach (var entry in batch)
        {
            // Told, not awaited: the position may at this moment be waiting on this grain (a submit), and the oracle's
            // turn must never wait on a position. The audit row holds the outcome if the message is lost.
            GrainFactory.GetGrain<IPositionEngineGrain>(entry.Decision.PositionId).OnDecisionFailedAsync(entry.Digest, outcome, revertData).Ignore();
        }
    }

    private ISigner Relayer => chain.Relayer ?? throw new InvalidOperationException("this node has no relayer key (Aml:Oracle:RelayerKey)");

    private void PruneSettled()
    {
        var horizon = clock.GetUtcNow() - _options.Retention;
        foreach (var digest in state.State.Entries.Where(e => e.Value.Status is not (SubmissionStatus.Queued or SubmissionStatus.Sent) &&
                                                              e.Value.UpdatedAt < horizon).Select(e => e.Key).ToList())
        {
            state.State.Entries.Remove(digest);
        }
    }

    private static void Settled(OracleEntry entry)
    {
        var kind = new KeyValuePair<string, object?>("kind", entry.Decision.Kind.ToString());
        EngineTelemetry.DecisionsSettled.Add(1, kind, new KeyValuePair<string, object?>("status", entry.Status.ToString()));
        if (entry.QueuedAt != default)
        {
            EngineTelemetry.DecisionLatency.Record((entry.UpdatedAt - entry.QueuedAt).TotalMilliseconds, kind);
        }
    }

    /// <summary>Stages the entries' audit rows, writes the state that holds both, then writes the rows.</summary>
    private async Task SaveAndAuditAsync(IReadOnlyList<OracleEntry> entries)
    {
        StageAudit(entries);
        await state.WriteStateAsync();
        await DrainAuditOutboxAsync();
    }

    private void StageAudit(IReadOnlyList<OracleEntry> entries)
    {
        foreach (var entry in entries)
        {
            state.State.AuditOutbox[entry.Digest] = entry.ToAudit();
        }
    }

    /// <summary>
    /// Writes the staged audit rows in one multi-row upsert per log; rows PostgreSQL refuses now stay staged and the
    /// flush timer tries again (the grain state already holds the truth, and an upsert of the newest row is idempotent).
    /// </summary>
    private async Task DrainAuditOutboxAsync()
    {
        if (state.State.AuditOutbox.Count == 0)
        {
            return;
        }

        var staged = state.State.AuditOutbox.Values.ToList();
        try
        {
            foreach (var log in auditLogs)
            {
                await log.UpsertAsync(staged);
            }

            foreach (var audit in staged)
            {
                // Only the rows written: a newer row staged for the same digest meanwhile waits for the next drain.
                if (state.State.AuditOutbox.TryGetValue(audit.Digest, out var current) && ReferenceEquals(current, audit))
                {
                    state.State.AuditOutbox.Remove(audit.Digest);
                }
            }

            _auditFailing = false;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
        {
            if (!_auditFailing)
            {
                LogAuditFailed(staged.Count, ex.Message); // once per outage, not once per flush period
                _auditFailing = true;
            }

            ScheduleFlush(); // the database is away: the rows wait for the next period
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Oracle resuming: {Queued} queued, in flight {Transaction}")]
    private partial void LogResuming(int queued, string? transaction);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Oracle refused decision {Digest} for position {PositionId}: {Reason}")]
    private partial void LogRefused(string digest, string positionId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Oracle sending {Transaction} with {Count} decisions (batch nonce {BatchNonce})")]
    private partial void LogSending(string transaction, int count, ulong? batchNonce);

    [LoggerMessage(Level = LogLevel.Information, Message = "Oracle transaction {Transaction} settled: gas {Gas}, {Applied} of {Count} applied")]
    private partial void LogSettled(string transaction, ulong gas, int applied, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Oracle transaction {Transaction} lost its nonce; {Count} decisions requeued")]
    private partial void LogRequeued(string transaction, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Oracle transaction {Transaction} was in block {Block}, which a reorg removed: re-sending it with its {Count} decisions")]
    private partial void LogReorged(string transaction, ulong block, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Oracle transaction {Transaction} was not confirmed by its broadcast, looking it up: {Reason}")]
    private partial void LogSendFailed(string transaction, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Oracle could not relay the events of {Transaction} to their positions (the indexer will): {Reason}")]
    private partial void LogRelayFailed(string transaction, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Oracle cannot reach the chain, work stays queued: {Reason}")]
    private partial void LogChainUnavailable(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} audit rows not written yet, they stay staged for the database: {Reason}")]
    private partial void LogAuditFailed(int count, string reason);
}
