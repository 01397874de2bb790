using System.Diagnostics;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Telemetry;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>The oracle's transactions: signing the queue into batches, broadcasting, settling receipts, reorgs.</summary>
internal sealed partial class OracleGrain
{
    // The broadcasts of the transactions in flight, running outside the grain's turns: a flush turn looks at them and
    // settles the receipts that are in, so no turn ever waits for the chain to mine.
    private Broadcaster? _broadcaster;

    // The last relay of a receipt's events to its positions: one at a time, so a cascade's receipts do not wake ten
    // thousand positions at once (the indexer delivers every event again anyway).
    private Task _relayTail = Task.CompletedTask;

    // Receipts settled but not yet relayed to their positions, and since when the oldest has waited.
    private static readonly TimeSpan RelayHoldLimit = TimeSpan.FromSeconds(10);
    private readonly List<(TransactionReceipt Receipt, Dictionary<string, Decision> Decisions)> _relaysWaiting = [];
    private DateTimeOffset? _relaysWaitingSince;

    // Set when a broadcast failed: no new batch is signed until every transaction in flight has settled, so a lost
    // nonce is resynced against a quiet account.
    private bool _holdSends;

    // Positions whose decision failed, told once the failure is stored.
    private readonly List<(OracleEntry Entry, string? RevertData)> _failedToTell = [];

    /// <summary>
    /// Signs what the queue holds into transactions (batches of <see cref="OracleOptions.MaxBatchSize"/>, at most
    /// <see cref="OracleOptions.MaxInFlight"/> in flight), stores them all with their exact bytes in one write, and only
    /// then hands them to the broadcaster: bytes that left this process are always durable.
    /// </summary>
    private async Task SendQueuedAsync(CancellationToken cancellationToken)
    {
        var changed = new List<OracleEntry>();
        var signed = new List<SignedTransaction>();
        try
        {
            while (state.State.Queue.Count > 0 && !_holdSends && state.State.InFlightTransactions.Count < _options.MaxInFlight)
            {
                if (await SignNextAsync(changed, cancellationToken) is { } tx)
                {
                    signed.Add(tx);
                }
            }
        }
        finally
        {
            // Whatever stopped the loop (the chain is away for an OPEN's estimate), what was signed is stored and sent.
            if (changed.Count > 0)
            {
                await SaveAndAuditAsync(changed.Distinct());
                TellFailed();
                // Alone, it takes the path that answers with its receipt; several go to the node together in one call.
                if (signed.Count == 1 && state.State.InFlightTransactions.Count == 1 && Broadcasts.IsIdle)
                {
                    Broadcasts.Send(signed[0], awaitReceipt: true);
                }
                else if (signed.Count > 0)
                {
                    Broadcasts.SendAll(signed);
                }

                var broadcastAt = clock.GetUtcNow();
                foreach (var tx in signed)
                {
                    foreach (var digest in state.State.InFlightTransactions.Find(t => t.Hash == tx.Hash.ToString())?.Digests ?? [])
                    {
                        state.State.Entries[digest].BroadcastAt ??= broadcastAt;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Takes the next batch off the queue: refuses what the feed guards refuse now, signs the rest into one transaction
    /// and puts it in flight (in memory: the caller stores it). Every entry that changed goes into <paramref name="changed"/>.
    /// </summary>
    private async Task<SignedTransaction?> SignNextAsync(List<OracleEntry> changed, CancellationToken cancellationToken)
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
            changed.AddRange(MarkFailed(group.Select(r => r.Entry).ToList(), $"refused before signing: {group.Key}"));
        }

        batch = batch.Except(refused.Select(r => r.Entry)).ToList();
        if (batch.Count == 0)
        {
            return null;
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
            changed.AddRange(MarkFailed(batch, $"would revert: {revert.DecodedError?.ToString() ?? revert.RpcMessage}", Hex.Encode(revert.RevertData)));
            return null;
        }

        Transactions.Sent(tx, batchNonce, batch, bitmap);
        changed.AddRange(batch);
        LogSending(tx.Hash.ToString(), batch.Count, batchNonce);
        activity?.SetTag("aml.tx_hash", tx.Hash.ToString());
        return tx;
    }

    /// <summary>Links to the traces that submitted <paramref name="batch"/>'s decisions (the ticks that caused them).</summary>
    private static List<ActivityLink> TraceLinks(IEnumerable<OracleEntry> batch) =>
        batch.Where(e => e.TraceParent is not null && ActivityContext.TryParse(e.TraceParent, null, out _))
            .Select(e => new ActivityLink(ActivityContext.Parse(e.TraceParent!, null))).ToList();

    private Broadcaster Broadcasts => _broadcaster ??= new Broadcaster(chain.Sender, clock, _options.ResendAfter);

    /// <summary>True when each transaction in flight has a broadcast in this activation that has not failed.</summary>
    private bool AllBroadcastsOnTheirWay() =>
        state.State.InFlightTransactions.TrueForAll(t => Broadcasts.IsOnItsWay(t.Hash));

    private SignedTransaction ToSigned(OracleTransaction inFlight) =>
        new(Hex.Decode(inFlight.Raw), Bytes32.Parse(inFlight.Hash), Relayer.Address, inFlight.Nonce);

    /// <summary>
    /// Finds out what became of each transaction in flight without waiting for the chain: the receipts a broadcast
    /// brought are settled, those lost are requeued, and the receipts of the rest (accepted by the node; after a crash;
    /// a failed send) are looked up in one batched call: those in are settled, those overdue are sent again with the
    /// same bytes. Everything settled is stored in one write.
    /// </summary>
    private async Task SettleInFlightAsync(CancellationToken cancellationToken)
    {
        var changed = new List<OracleEntry>();
        var relays = new List<(TransactionReceipt Receipt, Dictionary<string, Decision> Decisions)>();
        try
        {
            var lookUp = new List<OracleTransaction>();
            foreach (var inFlight in state.State.InFlightTransactions.ToList())
            {
                if (await SettleBroadcastAsync(inFlight, changed, relays, cancellationToken))
                {
                    lookUp.Add(inFlight);
                }
            }

            await SettleLookedUpAsync(lookUp, changed, relays, cancellationToken);
        }
        finally
        {
            if (changed.Count > 0)
            {
                await SaveAndAuditAsync(changed.Distinct());
                TellFailed();
            }

            _relaysWaiting.AddRange(relays);
            StartRelays();

            if (state.State.InFlightTransactions.Count == 0)
            {
                _holdSends = false;
            }
        }
    }

    /// <summary>
    /// Hands the receipts settled so far to the relay, one receipt at a time, once nothing else is in flight (or they
    /// waited <see cref="RelayHoldLimit"/>): the relay reads every position it names from the chain, and in a cascade
    /// those reads would compete with the node for the batches still to land. The indexer delivers every event anyway.
    /// </summary>
    private void StartRelays()
    {
        if (_relaysWaiting.Count == 0)
        {
            _relaysWaitingSince = null;
            return;
        }

        _relaysWaitingSince ??= clock.GetUtcNow();
        if (state.State.InFlightTransactions.Count > 0 && clock.GetUtcNow() - _relaysWaitingSince < RelayHoldLimit)
        {
            return;
        }

        foreach (var (receipt, decisions) in _relaysWaiting)
        {
            var previous = _relayTail;
            _relayTail = Task.Run(async () =>
            {
                await previous.ContinueWith(static _ => { }, TaskScheduler.Default); // after it, whatever became of it
                await RelayAsync(receipt, decisions);
            });
        }

        _relaysWaiting.Clear();
        _relaysWaitingSince = null;
    }

    /// <summary>
    /// Settles what the broadcast of <paramref name="inFlight"/> brought: its receipt, or a refusal (requeued when its
    /// nonce is gone or its fees too low). True when its receipt is to be looked up.
    /// </summary>
    private async Task<bool> SettleBroadcastAsync(
        OracleTransaction inFlight, List<OracleEntry> changed, List<(TransactionReceipt, Dictionary<string, Decision>)> relays,
        CancellationToken cancellationToken)
    {
        var (broadcast, receipt, failure) = Broadcasts.Take(inFlight.Hash);
        switch (broadcast)
        {
            case BroadcastState.Sending:
                return false;
            case BroadcastState.Mined:
                await SettleAsync(inFlight, receipt!, changed, relays);
                return false;
            case BroadcastState.Accepted or BroadcastState.Unknown:
                return true;
        }

        _holdSends = true;
        await Account.ResyncAsync(cancellationToken); // whatever went wrong, the chain's nonce count is the truth again
        if (failure is TransactionUnderpricedException)
        {
            // The base fee rose past what the transaction may pay, so the node refused it and will refuse the same
            // bytes again: its decisions are signed anew at today's fees (its nonce is still free).
            await Account.RefreshAsync(cancellationToken);
        }

        if (failure is NonceTooLowException or TransactionUnderpricedException)
        {
            LogRequeued(inFlight.Hash, inFlight.Digests.Count);
            changed.AddRange(Transactions.Requeue(inFlight));
            return false;
        }

        LogSendFailed(inFlight.Hash, failure!.Message);
        return true;
    }

    /// <summary>
    /// Looks up the receipts of <paramref name="lookUp"/> in one batched call and settles those that are in; one without a
    /// receipt that is overdue (after a crash, a timeout or a failed send, or lost by the node's pool) goes out again with
    /// the same bytes (a node that has them already, or mined them, cannot apply them twice).
    /// </summary>
    private async Task SettleLookedUpAsync(
        List<OracleTransaction> lookUp, List<OracleEntry> changed, List<(TransactionReceipt, Dictionary<string, Decision>)> relays,
        CancellationToken cancellationToken)
    {
        if (lookUp.Count == 0)
        {
            return;
        }

        var receipts = await chain.Rpc.GetTransactionReceiptsAsync(lookUp.Select(t => Bytes32.Parse(t.Hash)).ToList(), cancellationToken);
        var again = new List<SignedTransaction>();
        for (var i = 0; i < lookUp.Count; i++)
        {
            if (receipts[i] is { } receipt)
            {
                Broadcasts.Forget(lookUp[i].Hash);
                await SettleAsync(lookUp[i], receipt, changed, relays);
            }
            else if (Broadcasts.Overdue(lookUp[i].Hash))
            {
                again.Add(ToSigned(lookUp[i]));
            }
        }

        if (again.Count > 0)
        {
            Broadcasts.SendAll(again); // in flight order, which is nonce order
        }
    }

    private async Task SettleAsync(
        OracleTransaction inFlight, TransactionReceipt receipt, List<OracleEntry> changed, List<(TransactionReceipt, Dictionary<string, Decision>)> relays)
    {
        var batch = inFlight.Digests.Select(d => state.State.Entries[d]).ToList();
        using var activity = EngineTelemetry.Source.StartActivity("aml.oracle.settle", ActivityKind.Internal, parentContext: default, links: TraceLinks(batch));
        activity?.SetTag("aml.tx_hash", inFlight.Hash);
        activity?.AddEvent(new ActivityEvent("receipt", tags: new ActivityTagsCollection { ["gas_used"] = receipt.GasUsed, ["block"] = receipt.BlockNumber }));
        if (!receipt.Succeeded)
        {
            // Nothing estimated a batch before it went out: why it reverted (expired, halted) is replayed now.
            var revert = await chain.Sender.ReplayRevertAsync(ToSigned(inFlight), receipt);
            Transactions.Dropped(inFlight);
            changed.AddRange(MarkFailed(
                batch, $"reverted in block {receipt.BlockNumber}{(revert is null ? "" : $": {revert.DecodedError?.ToString() ?? revert.RpcMessage}")}",
                revert is null ? null : Hex.Encode(revert.RevertData)));
            return;
        }

        foreach (var entry in Transactions.Mined(inFlight, TransactionTracker.Outcomes(PositionEvents(receipt), receipt.BlockNumber), receipt.BlockNumber ?? 0, receipt.BlockHash?.ToString()))
        {
            Settled(entry);
        }

        changed.AddRange(batch);
        LogSettled(receipt.TransactionHash.ToString(), receipt.GasUsed, batch.Count(e => e.Status == SubmissionStatus.Applied), batch.Count);
        relays.Add((receipt, batch.ToDictionary(e => e.Digest, e => e.Decision, StringComparer.Ordinal)));
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

    private IEnumerable<PositionEventLog> PositionEvents(TransactionReceipt receipt) =>
        receipt.Logs.Where(log => log.Address == chain.Contract.Contract)
            .Select(log => PositionEventLog.TryDecode(chain.Abi, log.Topics, log.Data)).OfType<PositionEventLog>();

    /// <summary>
    /// Watches mined transactions until they are <see cref="OracleOptions.ConfirmationDepth"/> blocks deep. One that a
    /// reorg removed goes back in flight with its very same bytes (same hash, same nonce, which the reorg freed), so
    /// its decisions land again exactly once.
    /// </summary>
    private async Task WatchForReorgsAsync(CancellationToken cancellationToken)
    {
        if (state.State.Unconfirmed.Count == 0 || clock.GetUtcNow() - _lastReorgCheck < _options.ReorgCheckInterval)
        {
            return;
        }

        _lastReorgCheck = clock.GetUtcNow();
        var changed = false;
        var head = await chain.Rpc.GetBlockNumberAsync(cancellationToken);
        var watched = state.State.Unconfirmed.ToList();
        var receipts = await chain.Rpc.GetTransactionReceiptsAsync(watched.Select(t => Bytes32.Parse(t.Hash)).ToList(), cancellationToken);
        for (var i = 0; i < watched.Count; i++)
        {
            var (tx, receipt) = (watched[i], receipts[i]);
            if (receipt is null)
            {
                LogReorged(tx.Hash, tx.Block, tx.Digests.Count);
                await SaveAndAuditAsync(Transactions.Reorged(tx));
                return;
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
            await SaveStateAsync();
        }
    }

    /// <summary>
    /// Marks <paramref name="batch"/> failed with <paramref name="outcome"/> and takes it off the queue (in memory: the
    /// caller stores it, then <see cref="TellFailed"/> tells the positions); one log line for the whole batch.
    /// </summary>
    private List<OracleEntry> MarkFailed(List<OracleEntry> batch, string outcome, string? revertData = null)
    {
        var digests = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in batch)
        {
            entry.Status = SubmissionStatus.Failed;
            entry.Outcome = outcome;
            entry.UpdatedAt = clock.GetUtcNow();
            Settled(entry);
            digests.Add(entry.Digest);
        }

        state.State.Queue.RemoveAll(digests.Contains);
        _failedToTell.AddRange(batch.Select(e => (e, revertData)));
        if (batch.Count == 1)
        {
            LogRefused(batch[0].Digest, batch[0].Decision.PositionId, outcome);
        }
        else if (batch.Count > 1)
        {
            LogRefusedMany(batch.Count, batch.Count, batch[0].Digest, batch[0].Decision.PositionId, outcome);
        }

        return batch;
    }

    private void TellFailed()
    {
        foreach (var (entry, revertData) in _failedToTell)
        {
            // Told, not awaited: the position may at this moment be waiting on this grain (a submit), and the oracle's
            // turn must never wait on a position. The audit row holds the outcome if the message is lost.
            GrainFactory.GetGrain<IPositionEngineGrain>(entry.Decision.PositionId)
                .OnDecisionFailedAsync(entry.Digest, entry.Outcome ?? "failed", revertData).Ignore();
        }

        _failedToTell.Clear();
    }
}
