using System.Numerics;

namespace Aml.Orleans.Ethereum.Rpc;

/// <summary>How <see cref="TransactionSender"/> submits transactions and waits for them.</summary>
public sealed record TransactionSenderOptions
{
    /// <summary>Time allowed for a receipt after sending (polling path).</summary>
    public TimeSpan ReceiptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Pause between receipt polls.</summary>
    public TimeSpan ReceiptPollInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Try <c>realtime_sendRawTransaction</c> first (MegaETH).</summary>
    public bool UseRealtime { get; init; } = true;

    /// <summary>Try <c>eth_sendRawTransactionSync</c> next (EIP-7966).</summary>
    public bool UseSync { get; init; } = true;

    /// <summary>Gas limit = estimate × this / 100; local estimates miss MegaETH's storage gas.</summary>
    public int GasMarginPercent { get; init; } = 130;
}

/// <summary>
/// Builds, signs and submits transactions: realtime → sync → send + receipt polling, remembering which methods
/// the endpoint refused. The hash is computed before sending, so a timeout or a dropped connection is resolved by
/// looking the hash up instead of sending twice.
/// </summary>
public sealed class TransactionSender(JsonRpcClient rpc, TransactionSenderOptions? options = null)
{
    private readonly TransactionSenderOptions _options = options ?? new TransactionSenderOptions();
    private volatile bool _realtimeUnsupported;
    private volatile bool _syncUnsupported;

    // An endpoint's chain id never changes: read once, not once per transaction.
    private ulong? _chainId;

    /// <summary>The path the last successful send took: "realtime", "sync" or "poll".</summary>
    public string? LastPath { get; private set; }

    /// <summary>
    /// Builds and signs an EIP-1559 transaction: chain id (read once), pending nonce (unless given), fees from the latest block,
    /// gas from <c>eth_estimateGas</c> with a margin (unless given). A call that would revert throws here, before
    /// anything is sent.
    /// </summary>
    public async Task<SignedTransaction> SignEip1559Async(
        ISigner signer, Address? to, byte[] data, BigInteger? value = null, ulong? gasLimit = null, ulong? nonce = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var chainId = _chainId ??= await rpc.GetChainIdAsync(cancellationToken).ConfigureAwait(false);
        var fees = await rpc.GetFeesAsync(cancellationToken).ConfigureAwait(false);
        var txNonce = nonce ?? await rpc.GetTransactionCountAsync(signer.Address, "pending", cancellationToken).ConfigureAwait(false);
        var gas = gasLimit ?? (await rpc.EstimateGasAsync(new CallRequest(to, data, signer.Address, value), cancellationToken).ConfigureAwait(false)
            * (ulong)_options.GasMarginPercent / 100);
        var tx = new Eip1559Transaction(chainId, txNonce, fees.MaxPriorityFeePerGas, fees.MaxFeePerGas, gas, to, value ?? BigInteger.Zero, data);
        return await tx.SignAsync(signer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Builds and signs an EIP-1559 transaction from what the caller already knows — fees, gas limit, nonce — so that
    /// signing costs no RPC call (the chain id is read once per endpoint). Nothing checks that it would succeed.
    /// </summary>
    public async Task<SignedTransaction> SignEip1559Async(
        ISigner signer, Address? to, byte[] data, FeeEstimate fees, ulong gasLimit, ulong nonce, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(fees);
        var chainId = _chainId ??= await rpc.GetChainIdAsync(cancellationToken).ConfigureAwait(false);
        var tx = new Eip1559Transaction(chainId, nonce, fees.MaxPriorityFeePerGas, fees.MaxFeePerGas, gasLimit, to, BigInteger.Zero, data);
        return await tx.SignAsync(signer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>eth_estimateGas</c> with this sender's margin; a call that would revert throws here.</summary>
    public async Task<ulong> EstimateGasAsync(Address from, Address? to, byte[] data, CancellationToken cancellationToken = default) =>
        await rpc.EstimateGasAsync(new CallRequest(to, data, from), cancellationToken).ConfigureAwait(false) * (ulong)_options.GasMarginPercent / 100;

    /// <summary>Sends and waits for the receipt; a failed (status 0) transaction throws with its replayed revert reason.</summary>
    public async Task<TransactionReceipt> SendAndWaitAsync(SignedTransaction tx, CancellationToken cancellationToken = default)
    {
        var receipt = await SendAsync(tx, cancellationToken).ConfigureAwait(false);
        if (!receipt.Succeeded)
        {
            throw new TransactionFailedException(receipt, await ReplayRevertAsync(tx, receipt, cancellationToken).ConfigureAwait(false));
        }

        return receipt;
    }

    /// <summary>Sends a signed transaction and returns its receipt (whatever its status).</summary>
    public async Task<TransactionReceipt> SendAsync(SignedTransaction tx, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tx);
        if (_options.UseRealtime && !_realtimeUnsupported)
        {
            try
            {
                var receipt = await rpc.RealtimeSendRawTransactionAsync(tx.Raw, cancellationToken).ConfigureAwait(false);
                LastPath = "realtime";
                return CheckHash(tx, receipt.TransactionHash, receipt);
            }
            catch (MethodNotSupportedException)
            {
                _realtimeUnsupported = true;
            }
            catch (Exception ex) when (IsInconclusive(ex))
            {
                return await WaitForReceiptAsync(tx, cancellationToken).ConfigureAwait(false);
            }
        }

        if (_options.UseSync && !_syncUnsupported)
        {
            try
            {
                var receipt = await rpc.SendRawTransactionSyncAsync(tx.Raw, cancellationToken).ConfigureAwait(false);
                LastPath = "sync";
                return CheckHash(tx, receipt.TransactionHash, receipt);
            }
            catch (MethodNotSupportedException)
            {
                _syncUnsupported = true;
            }
            catch (Exception ex) when (IsInconclusive(ex))
            {
                return await WaitForReceiptAsync(tx, cancellationToken).ConfigureAwait(false);
            }
        }

        if (await BroadcastAsync(tx, cancellationToken).ConfigureAwait(false) is { } mined)
        {
            LastPath = "poll";
            return mined;
        }

        return await WaitForReceiptAsync(tx, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Hands a signed transaction to the node (<c>eth_sendRawTransaction</c>) without waiting for it to execute, so that
    /// the next one can follow at once in nonce order. Returns its receipt when the node mined it already (a resend of
    /// the same bytes), else null: accepted, or in the node's pool already.
    /// </summary>
    public async Task<TransactionReceipt?> BroadcastAsync(SignedTransaction tx, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tx);
        try
        {
            CheckHash(tx, await rpc.SendRawTransactionAsync(tx.Raw, cancellationToken).ConfigureAwait(false), tx);
            return null;
        }
        catch (NonceTooLowException)
        {
            // A resend of a transaction that already made it is not an error: the hash tells.
            if (await rpc.GetTransactionReceiptAsync(tx.Hash, cancellationToken).ConfigureAwait(false) is { } existing)
            {
                return existing;
            }

            throw;
        }
        catch (JsonRpcException known) when (IsAlreadyKnown(known))
        {
            return null; // the same bytes are waiting in the pool: as good as accepted
        }
    }

    /// <summary>
    /// <see cref="BroadcastAsync"/> for many transactions in one JSON-RPC batch, in their order (an automining node mines
    /// them in a few blocks rather than one block each). Each gives its receipt when mined already, else neither
    /// (accepted, or pending already), or the node's refusal.
    /// </summary>
    public async Task<(TransactionReceipt? Mined, Exception? Failure)[]> BroadcastAllAsync(
        IReadOnlyList<SignedTransaction> txs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(txs);
        var answers = new List<(Bytes32? Hash, JsonRpcException? Error)>(txs.Count);
        foreach (var chunk in ChunksOf(txs, MaxBroadcastBytes))
        {
            answers.AddRange(await rpc.SendRawTransactionsAsync(chunk.Select(t => t.Raw).ToList(), cancellationToken).ConfigureAwait(false));
        }

        var outcomes = new (TransactionReceipt? Mined, Exception? Failure)[txs.Count];
        for (var i = 0; i < txs.Count; i++)
        {
            outcomes[i] = answers[i] switch
            {
                ({ } hash, _) when hash != txs[i].Hash =>
                    (null, new InvalidOperationException($"the node reports hash {hash} for a transaction we hashed as {txs[i].Hash}")),
                ({ }, _) => (null, null),
                (_, { } known) when IsAlreadyKnown(known) => (null, null),
                (_, NonceTooLowException tooLow) =>
                    await rpc.GetTransactionReceiptAsync(txs[i].Hash, cancellationToken).ConfigureAwait(false) is { } mined ? (mined, null) : (null, tooLow),
                (_, var error) => (null, error),
            };
        }

        return outcomes;
    }

    // Raw bytes in one batched send (hex doubles them): a cascade's 200 batches in one request were cut off by anvil
    // ("Error while copying content to a stream"), so they go in requests of about this size, one after another.
    private const int MaxBroadcastBytes = 256 * 1024;

    private static IEnumerable<List<SignedTransaction>> ChunksOf(IReadOnlyList<SignedTransaction> txs, int maxBytes)
    {
        var chunk = new List<SignedTransaction>();
        var bytes = 0;
        foreach (var tx in txs)
        {
            if (chunk.Count > 0 && bytes + tx.Raw.Length > maxBytes)
            {
                yield return chunk;
                (chunk, bytes) = ([], 0);
            }

            chunk.Add(tx);
            bytes += tx.Raw.Length;
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    // geth says "already known", anvil "transaction already imported".
    private static bool IsAlreadyKnown(JsonRpcException ex) =>
        ex.RpcMessage.Contains("already known", StringComparison.OrdinalIgnoreCase) ||
        ex.RpcMessage.Contains("already imported", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Polls for the receipt of a transaction already sent. On timeout, tells a nonce gap (the account's mined nonce
    /// is below the transaction's) apart from a plain timeout.
    /// </summary>
    public async Task<TransactionReceipt> WaitForReceiptAsync(SignedTransaction tx, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tx);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ReceiptTimeout);
        try
        {
            while (true)
            {
                var receipt = await rpc.GetTransactionReceiptAsync(tx.Hash, timeout.Token).ConfigureAwait(false);
                if (receipt is not null)
                {
                    LastPath = "poll";
                    return receipt;
                }

                await Task.Delay(_options.ReceiptPollInterval, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcTimeoutException && !cancellationToken.IsCancellationRequested)
        {
            var mined = await rpc.GetTransactionCountAsync(tx.From, "latest", cancellationToken).ConfigureAwait(false);
            if (mined < tx.Nonce)
            {
                throw new NonceGapException(tx.Hash, tx.Nonce, mined);
            }

            throw new RpcTimeoutException($"no receipt for {tx.Hash} within {_options.ReceiptTimeout.TotalSeconds:0.###} s", ex);
        }
    }

    /// <summary>
    /// Why a mined transaction failed: it is replayed with <c>eth_call</c> on the block before its own. Null when the
    /// replay succeeds (the state it ran against differed) or the transaction is not one this class builds.
    /// </summary>
    public async Task<ExecutionRevertedException?> ReplayRevertAsync(SignedTransaction tx, TransactionReceipt receipt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(receipt);
        // Only type-2 transactions are replayed: they are what SignEip1559Async builds.
        if (receipt.BlockNumber is not { } block || block == 0 || tx.Raw[0] != 0x02)
        {
            return null;
        }

        var (decoded, _) = Eip1559Transaction.DecodeSigned(tx.Raw);
        try
        {
            var call = new CallRequest(decoded.To, decoded.Data, tx.From, decoded.Value, decoded.GasLimit);
            await rpc.CallAsync(call, Quantity.Encode(block - 1), cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (ExecutionRevertedException revert)
        {
            return revert;
        }
    }

    // The node hashes the bytes it decoded; a different hash means our encoding and the node's disagree, and every
    // later lookup by our hash would miss.
    private static T CheckHash<T>(SignedTransaction tx, Bytes32 nodeHash, T result) =>
        nodeHash == tx.Hash
            ? result
            : throw new InvalidOperationException($"the node reports hash {nodeHash} for a transaction we hashed as {tx.Hash}");

    // A timeout or a realtime expiry says nothing about whether the transaction will execute.
    private static bool IsInconclusive(Exception ex) =>
        ex is RpcTimeoutException || ex is JsonRpcException { Code: -32000 } rpc && rpc.RpcMessage.Contains("expired", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Hands out nonces locally (MegaETH allows up to 500 pending per account, so waiting for each receipt would
/// serialise everything) and resynchronises from <c>eth_getTransactionCount(…, "pending")</c> after an error.
/// </summary>
public sealed class NonceTracker(JsonRpcClient rpc, Address account)
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private ulong? _next;

    /// <summary>The next nonce to use, reading the chain on first use.</summary>
    public async Task<ulong> NextAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _next ??= await rpc.GetTransactionCountAsync(account, "pending", cancellationToken).ConfigureAwait(false);
            return _next++.Value;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Forgets the local counter; the next call reads the chain again (after nonce-too-low or a gap).</summary>
    public async Task ResyncAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _next = null;
        }
        finally
        {
            _lock.Release();
        }
    }
}
