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
/// runs (one by one, or a book shard's whole cascade in <see cref="SubmitBatchAsync"/>) are taken by the next one, which
/// signs them into <c>applyDecisions</c> batches under one quorum each and stores the group together with those
/// transactions in one write before any caller hears "queued" or any byte leaves; relayed OPENs go out one by one with
/// the trader's signature (estimated, so a refused one is refused with its reason). A flush turn signs every batch the
/// queue holds (up to <see cref="OracleOptions.MaxInFlight"/> transactions in flight), persists them all with their raw
/// bytes in one write, then hands them to a broadcaster that sends them one after another in nonce order outside the grain's
/// turns; the receipts that are in are settled together by a later flush turn, again in one write. After a crash the
/// same bytes are sent again (the chain cannot apply them twice), and a decision is settled once, by its digest. The
/// grain never waits on a position.
/// </summary>
internal sealed partial class OracleGrain(
    [PersistentState("oracle", "aml")] IPersistentState<OracleState> state,
    ChainContext chain,
    ChainEventRelay relay,
    MarketGuardReader guards,
    IOptions<OracleOptions> options,
    IOptions<MarketCatalogOptions> catalog,
    TimeProvider clock,
    IOracleJournalStore journalStore,
    ILogger<OracleGrain> logger) : Grain, IOracleGrain, IRemindable
{
    private const string ResumeReminder = "oracle-resume";

    private readonly OracleOptions _options = options.Value;
    private IGrainTimer? _flushTimer;
    private bool _reminderRegistered;

    // Submissions not yet taken by a flush turn, and the signal their callers wait for: the next flush turn commits them
    // all with one state write, shared with the batches it signs from them, and one audit upsert (group commit);
    // submissions arriving meanwhile make up the next group.
    private List<OracleEntry> _intake = [];
    private Dictionary<string, OracleEntry> _intakeQueued = new(StringComparer.Ordinal); // by digest: a cascade joins in O(n)
    private TaskCompletionSource _intakeCommitted = NewCommitSignal();

    // The group the running flush turn took into the state, until the turn's first state write stores it.
    private (List<OracleEntry> Group, TaskCompletionSource Committed)? _committing;

    // True between a change of the state in memory and the write that stores it: a write PostgreSQL refused is retried
    // first thing in the next flush turn, so nothing is broadcast or acknowledged on a state that is not stored.
    private bool _unsaved;

    private RelayerAccount? _account;

    // The parts the grain owns: what its signers sign, how a batch is chosen and encoded, how its transactions move.
    private SigningPolicy? _signers;
    private BatchEncoder? _encoder;
    private TransactionTracker? _transactions;
    private DateTimeOffset _lastReorgCheck;

    // The state's rows as stored: each write stores only what changed, with the audit rows of the same decisions.
    // Writes from SignAsync and the flush turns never overlap: neither interleaves.
    private readonly OracleJournal _journal = new();

    // Set when the state came from a grain-state blob written before the journal: cleared once the journal holds it.
    private bool _blobToClear;
    private bool _auditFailing;

    // Set when the audit table refused a write's audit rows: they wait, durable, in the outbox table until it takes them.
    private bool _auditStaged;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (await journalStore.LoadAsync(this.GetPrimaryKeyString(), cancellationToken) is { } rows)
        {
            state.State = _journal.Rebuild(rows);
            _auditStaged = rows.AuditStaged;
        }
        else if (state.RecordExists)
        {
            // Written whole before the journal: the first write stores all of it as rows, then the blob goes.
            _journal.Import(state.State);
            (_blobToClear, _unsaved) = (true, true);
        }

        if (state.State.NextBatchNonce == 0)
        {
            state.State.NextBatchNonce = (ulong)clock.GetUtcNow().ToUnixTimeMilliseconds();
        }

        if (state.State.InFlight is { } single)
        {
            // Stored before several transactions could be in flight: it is the oldest one.
            state.State.InFlightTransactions.Insert(0, single);
            state.State.InFlight = null;
        }

        if (HasWork)
        {
            LogResuming(state.State.Queue.Count, state.State.InFlightTransactions.Count);
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
            await SaveStateAsync(); // durable before the trader holds it: a restarted oracle must not sign another
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
        var (audit, committed, refusal) = TakeIn(decision, traderSignature);
        activity?.SetTag("aml.decision_digest", audit.Digest);
        activity?.SetTag("aml.decision_kind", decision.Kind.ToString());
        if (refusal is not null)
        {
            LogRefused(audit.Digest, decision.PositionId, refusal);
        }

        if (committed is not null)
        {
            FlushNow();
            await committed; // durable before the caller hears "queued"
        }

        return audit;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DecisionAudit>> SubmitBatchAsync(IReadOnlyList<Decision> decisions)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        using var activity = EngineTelemetry.Source.StartActivity("aml.oracle.submit_batch");
        activity?.SetTag("aml.batch_size", decisions.Count);
        var audits = new DecisionAudit[decisions.Count];
        Task? committed = null;
        var refused = new List<(DecisionAudit Audit, string Reason)>();
        for (var i = 0; i < decisions.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(decisions[i], nameof(decisions));
            var (audit, waits, refusal) = TakeIn(decisions[i], null);
            audits[i] = audit;
            committed ??= waits;
            if (refusal is not null)
            {
                refused.Add((audit, refusal));
            }
        }

        if (refused.Count > 0)
        {
            // One line for the batch: a cascade refused for one reason must not write a line per position.
            LogRefusedMany(refused.Count, decisions.Count, refused[0].Audit.Digest, refused[0].Audit.PositionId, refused[0].Reason);
        }

        if (committed is not null)
        {
            FlushNow();
            await committed; // one group: every new decision of the batch joined the same intake
        }

        return audits;
    }

    /// <summary>
    /// Takes <paramref name="decision"/> into the next group, touching only the intake (this runs interleaved with the
    /// flush turn). Returns its audit as committed, the signal to wait for (null when it is known already), and why the
    /// signers refused it (audited as Failed, but not remembered by digest: a corrected submission may follow).
    /// </summary>
    private (DecisionAudit Audit, Task? Committed, string? Refusal) TakeIn(Decision decision, string? traderSignature)
    {
        var digest = chain.DigestOf(decision);
        if (state.State.Entries.TryGetValue(digest, out var known))
        {
            // The same decision again: never a second transaction. Taken by the running turn but not stored yet, it
            // is acknowledged with its group.
            return (known.ToAudit(), _committing is { } taken && taken.Group.Contains(known) ? taken.Committed.Task : null, null);
        }

        if (_intakeQueued.TryGetValue(digest, out var joining))
        {
            return (joining.ToAudit(), _intakeCommitted.Task, null);
        }

        var entry = new OracleEntry
        {
            Decision = decision, Digest = digest, TraderSignature = traderSignature, UpdatedAt = clock.GetUtcNow(),
            QueuedAt = clock.GetUtcNow(), TraceParent = Activity.Current?.Id, Status = SubmissionStatus.Queued,
        };
        var violation = Signers.RefusalToSubmit(decision, traderSignature);
        if (violation is not null)
        {
            entry.Status = SubmissionStatus.Failed;
            entry.Outcome = $"refused before signing: {violation}";
        }

        _intake.Add(entry);
        if (violation is null)
        {
            _intakeQueued[digest] = entry;
        }

        // As committed: by the time the caller hears, the same turn may have sent it already.
        return (entry.ToAudit(), _intakeCommitted.Task, violation);
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

    private bool HasWork => _intake.Count > 0 || _unsaved || state.State.Queue.Count > 0 || state.State.InFlightTransactions.Count > 0 ||
                            state.State.Unconfirmed.Count > 0 || _journal.HasChanges || _auditStaged;

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
    /// Moves every submission taken in since the last flush turn into the state, in memory, marked changed in the
    /// journal: the turn signs what it can of them first, and its next journal write (<see cref="SaveStateAsync"/>) stores
    /// the group's rows together with the transactions signed from it, then releases the group's callers. So a group
    /// costs one write, shared with its batch, and signing never waits for the group's own write. The queued ones are
    /// audited by the send round's write or the turn's closing one, off the tick-to-signed path.
    /// </summary>
    private void TakeIntake()
    {
        if (_intake.Count == 0)
        {
            return;
        }

        var (group, committed) = (_intake, _intakeCommitted);
        (_intake, _intakeQueued, _intakeCommitted) = ([], new(StringComparer.Ordinal), NewCommitSignal());
        foreach (var entry in group.Where(e => e.Status == SubmissionStatus.Queued && !state.State.Entries.ContainsKey(e.Digest)))
        {
            state.State.Entries[entry.Digest] = entry;
            state.State.Queue.Add(entry.Digest);
        }

        Journal(group); // the group's new entries (the refused ones are only audited)
        _unsaved = true;
        _committing = (group, committed);
    }

    /// <summary>Stores the group taken in this turn if no write of the turn has yet; its callers hear a failure.</summary>
    private async Task CommitTakenAsync()
    {
        if (_committing is not { } taken)
        {
            return;
        }

        try
        {
            await SaveStateAsync(); // releases the group
        }
        catch (Exception ex)
        {
            // Not acknowledged: the callers hear why. The queued ones stay in memory and go out with the next write.
            _committing = null;
            taken.Committed.SetException(ex);
            throw;
        }
    }

    /// <summary>After a state write: the group taken before it is durable, its callers are released.</summary>
    private void ReleaseCommitted()
    {
        if (_committing is not { } taken)
        {
            return;
        }

        _committing = null;
        var committedAt = clock.GetUtcNow();
        foreach (var entry in taken.Group)
        {
            entry.CommittedAt ??= committedAt;
        }

        EngineTelemetry.OracleCommitGroupSize.Record(taken.Group.Count);
        taken.Committed.SetResult();
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
        if (_unsaved)
        {
            await SaveStateAsync(); // a write that failed: stored before anything else moves
        }

        // What arrived since the last turn is signed before it is stored, and stored with what is signed from it.
        // Submissions arriving meanwhile (the other book shards of one tick) make up the next turn, which starts as
        // soon as this one ends.
        TakeIntake();
        try
        {
            if (_committing is not null)
            {
                await EnsureResumeReminderAsync();
            }

            // Sign first when every transaction in flight is on its way: the receipts' write then follows the batch
            // instead of preceding it (a tick's second batch waited for the first one's receipt to be stored). A
            // broadcast that failed, or none yet (after a crash), is settled first, so a lost nonce is resynced and the
            // same bytes are sent again before a new transaction takes a nonce.
            var settleFirst = !AllBroadcastsOnTheirWay();
            if (settleFirst)
            {
                await SettleInFlightAsync(cancellationToken);
            }

            await SendQueuedAsync(cancellationToken);
            if (!settleFirst)
            {
                await SettleInFlightAsync(cancellationToken);
            }

            // After sending: the check reads the chain once per transaction not yet buried, which a batch waiting to be
            // signed must not wait for. One it finds undone is in flight again and goes out with the next turn.
            await WatchForReorgsAsync(cancellationToken);
            if (Account.IsStale && (state.State.InFlightTransactions.Count > 0 || state.State.Queue.Count > 0))
            {
                await Account.RefreshAsync(cancellationToken); // after sending: the next batch signs with what is read here
            }
        }
        catch (Exception ex) when (ex is JsonRpcException or HttpRequestException or TimeoutException or TaskCanceledException)
        {
            LogChainUnavailable(ex.Message);
            return; // the chain is unreachable: the work stays queued and durable
        }
        finally
        {
            await CommitTakenAsync(); // when nothing was signed or settled: the group's own write
            await SaveDueAuditsAsync(); // the audit rows of what this turn took in and left queued, off the tick-to-signed path
        }

        PruneSettled();
        if (!HasWork)
        {
            _flushTimer?.Dispose();
            _flushTimer = null;
        }
    }

    private ISigner Relayer => chain.Relayer ?? throw new InvalidOperationException("this node has no relayer key (Aml:Oracle:RelayerKey)");

    private RelayerAccount Account => _account ??= new RelayerAccount(chain.Rpc, Relayer.Address, clock, _options.GuardRefreshInterval);

    private SigningPolicy Signers => _signers ??= new SigningPolicy(chain, guards, catalog.Value, clock);

    private BatchEncoder Encoder => _encoder ??= new BatchEncoder(chain, Signers, _options.BatchTtl);

    private TransactionTracker Transactions => _transactions ??= new TransactionTracker(() => state.State, clock);

    /// <summary>Forgets the settled entries past the retention window; the next write deletes their rows.</summary>
    private void PruneSettled() => _journal.Prune(state.State, clock.GetUtcNow() - _options.Retention);

    private static void Settled(OracleEntry entry)
    {
        var kind = new KeyValuePair<string, object?>("kind", entry.Decision.Kind.ToString());
        EngineTelemetry.DecisionsSettled.Add(1, kind, new KeyValuePair<string, object?>("status", entry.Status.ToString()));
        if (entry.QueuedAt != default)
        {
            EngineTelemetry.DecisionLatency.Record((entry.UpdatedAt - entry.QueuedAt).TotalMilliseconds, kind);
        }
    }

    /// <summary>
    /// Writes what changed in the state since the last write, with its audit rows, in one round trip; until it is
    /// stored, the next flush turn writes it again before anything else.
    /// </summary>
    private async Task SaveStateAsync(bool withDueAudits = false)
    {
        _unsaved = true;
        if (_journal.Delta(state.State, withDueAudits) is { } delta)
        {
            try
            {
                if (!await journalStore.WriteAsync(this.GetPrimaryKeyString(), delta))
                {
                    AuditStaged();
                }
            }
            catch (global::Orleans.Storage.InconsistentStateException)
            {
                // Another activation wrote, or a write committed without our hearing it: only a reload knows the truth.
                DeactivateOnIdle();
                throw;
            }

            _journal.Written(delta);
            EngineTelemetry.OracleJournalRows.Record(delta.RowCount);
            await ClearImportedBlobAsync();
        }

        _unsaved = false;
        ReleaseCommitted();
    }

    /// <summary>
    /// Writes the audit rows of decisions taken in and still queued (their journal rows are stored already, and an
    /// activation audits every queued one again), and moves staged audit rows into the audit table once it takes them;
    /// when PostgreSQL refuses, the next flush period tries again.
    /// </summary>
    private async Task SaveDueAuditsAsync()
    {
        if (!_journal.HasAuditDue && !_auditStaged)
        {
            return;
        }

        try
        {
            if (_journal.HasAuditDue)
            {
                await SaveStateAsync(withDueAudits: true);
            }

            if (_auditStaged && await journalStore.DrainAuditAsync())
            {
                (_auditStaged, _auditFailing) = (false, false);
            }
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            if (!_auditFailing)
            {
                LogAuditFailed(ex.Message); // once per outage, not once per flush period
                _auditFailing = true;
            }

            ScheduleFlush();
        }
    }

    private void AuditStaged()
    {
        _auditStaged = true;
        if (!_auditFailing)
        {
            LogAuditFailed("the audit table refused them; they are staged in aml_oracle_audit_outbox"); // once per outage
            _auditFailing = true;
        }
    }

    /// <summary>Marks the entries changed (and their audit rows due), then writes.</summary>
    private async Task SaveAndAuditAsync(IEnumerable<OracleEntry> entries)
    {
        Journal(entries);
        await SaveStateAsync();
    }

    private void Journal(IEnumerable<OracleEntry> entries)
    {
        foreach (var entry in entries)
        {
            _journal.Changed(entry);
        }
    }

    /// <summary>Clears the grain-state blob an older version wrote, once the journal holds its state (kept in memory).</summary>
    private async Task ClearImportedBlobAsync()
    {
        if (!_blobToClear)
        {
            return;
        }

        var kept = state.State;
        try
        {
            await state.ClearStateAsync();
            _blobToClear = false;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or global::Orleans.Storage.InconsistentStateException)
        {
            LogBlobNotCleared(ex.Message); // harmless meanwhile: the journal, once written, is what activation reads
        }
        finally
        {
            state.State = kept;
        }
    }
}
