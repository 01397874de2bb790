using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>Where one transaction's broadcast stands, as far as the oracle knows without asking the node.</summary>
public enum BroadcastState
{
    /// <summary>Waiting for the broadcasts before it, or for the node to answer.</summary>
    Sending,

    /// <summary>The node answered with its receipt (a path that waits for execution, or a resend of mined bytes).</summary>
    Mined,

    /// <summary>The node accepted it: its receipt is to be looked up.</summary>
    Accepted,

    /// <summary>The node refused it, or could not be reached.</summary>
    Failed,

    /// <summary>No broadcast of it in this activation (after a crash, or a failed one already reported).</summary>
    Unknown,
}

/// <summary>
/// The oracle's transactions on their way to the node, outside the grain's turns. The transactions one flush turn signed
/// go to the node together, in nonce order, in one batched call after the broadcasts before them (the node sees our
/// nonces in order: a lasting gap would stall the later ones), and nothing waits for their execution: an automining
/// node mines them in a few blocks instead of one block and one receipt after another (anvil took 125–150 ms a block
/// in a cascade), and their receipts are looked up by the oracle in one batched call. A transaction sent alone takes
/// the path that answers with its receipt (MegaETH's realtime, EIP-7966's sync), which saves the lookup. Used from the
/// grain's turns only; the sends themselves run on the thread pool.
/// </summary>
public sealed class Broadcaster(TransactionSender sender, TimeProvider clock, TimeSpan resendAfter)
{
    private readonly Dictionary<string, Task<TransactionReceipt?>> _sending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _accepted = new(StringComparer.Ordinal);
    private Task _tail = Task.CompletedTask;

    /// <summary>True when no broadcast is under way.</summary>
    public bool IsIdle => _tail.IsCompleted;

    /// <summary>
    /// Starts sending <paramref name="tx"/> once the broadcast before it has ended, whatever its outcome; with
    /// <paramref name="awaitReceipt"/> by the path that answers with its receipt (the next broadcast then waits for it).
    /// </summary>
    public void Send(SignedTransaction tx, bool awaitReceipt)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var previous = _tail;
        var sending = Task.Run(async () =>
        {
            await previous.ContinueWith(static _ => { }, TaskScheduler.Default);
            return awaitReceipt
                ? await sender.SendAsync(tx, CancellationToken.None).ConfigureAwait(false)
                : await sender.BroadcastAsync(tx, CancellationToken.None).ConfigureAwait(false);
        });
        _tail = sending;
        _sending[tx.Hash.ToString()] = sending;
        _accepted.Remove(tx.Hash.ToString());
    }

    /// <summary>
    /// Starts sending <paramref name="txs"/> (in nonce order) in one batched call once the broadcast before them has
    /// ended: the node receives them together, so an automining node mines them in a few blocks rather than one each.
    /// </summary>
    public void SendAll(IReadOnlyList<SignedTransaction> txs)
    {
        ArgumentNullException.ThrowIfNull(txs);
        var previous = _tail;
        var group = Task.Run(async () =>
        {
            await previous.ContinueWith(static _ => { }, TaskScheduler.Default);
            return await sender.BroadcastAllAsync(txs, CancellationToken.None).ConfigureAwait(false);
        });
        _tail = group;
        for (var i = 0; i < txs.Count; i++)
        {
            var index = i;
            _sending[txs[i].Hash.ToString()] = group.ContinueWith(
                done => done.Result[index].Failure is { } failure ? throw failure : done.Result[index].Mined,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            _accepted.Remove(txs[i].Hash.ToString());
        }
    }

    /// <summary>
    /// Where the broadcast of <paramref name="hash"/> stands, with its receipt when <see cref="BroadcastState.Mined"/> and
    /// its error when <see cref="BroadcastState.Failed"/>; an ended broadcast is reported once, then it is
    /// <see cref="BroadcastState.Accepted"/> (until <see cref="Forget"/>) or <see cref="BroadcastState.Unknown"/>.
    /// </summary>
    public (BroadcastState State, TransactionReceipt? Receipt, Exception? Failure) Take(string hash)
    {
        if (!_sending.TryGetValue(hash, out var sending))
        {
            return (_accepted.ContainsKey(hash) ? BroadcastState.Accepted : BroadcastState.Unknown, null, null);
        }

        if (!sending.IsCompleted)
        {
            return (BroadcastState.Sending, null, null);
        }

        _sending.Remove(hash);
        if (!sending.IsCompletedSuccessfully)
        {
            return (BroadcastState.Failed, null, sending.Exception!.GetBaseException());
        }

        if (sending.Result is { } receipt)
        {
            return (BroadcastState.Mined, receipt, null);
        }

        _accepted[hash] = clock.GetUtcNow();
        return (BroadcastState.Accepted, null, null);
    }

    /// <summary>
    /// True when <paramref name="hash"/>, which has no receipt, is to be sent again with the same bytes: it was never
    /// accepted in this activation (a crash, a failed send), or accepted longer ago than the resend delay (the node's
    /// pool lost it). The same bytes cannot be applied twice.
    /// </summary>
    public bool Overdue(string hash) =>
        !_sending.ContainsKey(hash) && (!_accepted.TryGetValue(hash, out var at) || clock.GetUtcNow() - at >= resendAfter);

    /// <summary>
    /// True when <paramref name="hash"/> is being sent, or was answered with a receipt or accepted, in this activation: no
    /// failed broadcast or missing one (after a crash) whose nonce would have to be resynced first.
    /// </summary>
    public bool IsOnItsWay(string hash) =>
        _sending.TryGetValue(hash, out var sending) ? !sending.IsFaulted && !sending.IsCanceled : _accepted.ContainsKey(hash);

    /// <summary>Forgets <paramref name="hash"/> once its receipt is settled.</summary>
    public void Forget(string hash)
    {
        _sending.Remove(hash);
        _accepted.Remove(hash);
    }
}
