using System.Text.Json;

namespace Aml.Orleans.Ethereum.Rpc;

/// <summary>One call of a JSON-RPC batch: a method and its parameters.</summary>
public sealed record RpcCall(string Method, object?[] Parameters);

/// <summary>
/// JSON-RPC batches: many reads in one round trip. The indexer reads ten thousand positions and transactions after a
/// cascade, and the oracle looks up the receipts of every transaction in flight; one request each would keep the node
/// busy answering HTTP instead of mining.
/// </summary>
public sealed partial class JsonRpcClient
{
    // Set once the endpoint refused a batch: from then on the calls go one at a time (still correct, only slower).
    private volatile bool _batchUnsupported;

    /// <summary>
    /// Sends <paramref name="calls"/> in batches of at most <see cref="JsonRpcClientOptions.MaxBatchSize"/> and returns
    /// their results in call order. A call that failed throws its typed error (as <see cref="RequestAsync"/> would), and
    /// the other results are dropped with it: the callers only read, and read again. An endpoint that refuses batches
    /// is asked one call at a time from then on.
    /// </summary>
    public async Task<JsonElement[]> RequestBatchAsync(IReadOnlyList<RpcCall> calls, CancellationToken cancellationToken = default)
    {
        var answers = await RequestEachAsync(calls, cancellationToken).ConfigureAwait(false);
        return answers.Select(a => a.Error is null ? a.Result : throw a.Error).ToArray();
    }

    /// <summary>
    /// Like <see cref="RequestBatchAsync"/>, but a call that failed gives its typed error beside the others' results
    /// instead of throwing (sending many transactions at once: each is accepted or refused on its own).
    /// </summary>
    public async Task<(JsonElement Result, JsonRpcException? Error)[]> RequestEachAsync(IReadOnlyList<RpcCall> calls, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var results = new (JsonElement Result, JsonRpcException? Error)[calls.Count];
        var size = Math.Max(1, _options.MaxBatchSize);
        for (var first = 0; first < calls.Count; first += size)
        {
            var count = Math.Min(size, calls.Count - first);
            if (!_batchUnsupported && count > 1)
            {
                try
                {
                    await SendBatchAsync(calls, first, count, results, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                catch (JsonRpcException refused) when (refused.Method == BatchMethod && (refused is MethodNotSupportedException || refused.Code == -32600))
                {
                    _batchUnsupported = true;
                }
            }

            for (var i = first; i < first + count; i++)
            {
                try
                {
                    results[i] = (await RequestAsync(calls[i].Method, calls[i].Parameters, cancellationToken).ConfigureAwait(false), null);
                }
                catch (JsonRpcException error)
                {
                    results[i] = (default, error);
                }
            }
        }

        return results;
    }

    // The name batch-level errors carry (an endpoint refusing the batch itself, not one of its calls).
    private const string BatchMethod = "batch";

    private async Task SendBatchAsync(
        IReadOnlyList<RpcCall> calls, int first, int count, (JsonElement Result, JsonRpcException? Error)[] results, CancellationToken cancellationToken)
    {
        var baseId = Interlocked.Add(ref _nextId, count) - count + 1;
        var requests = new Dictionary<string, object?>[count];
        for (var i = 0; i < count; i++)
        {
            var call = calls[first + i];
            requests[i] = new Dictionary<string, object?> { ["jsonrpc"] = "2.0", ["id"] = baseId + i, ["method"] = call.Method, ["params"] = call.Parameters };
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        string body;
        try
        {
            body = await PostAsync(BatchMethod, JsonSerializer.SerializeToUtf8Bytes(requests), timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RpcTimeoutException($"a batch of {count} calls ({calls[first].Method}, …): no answer from {Endpoint} within {_options.RequestTimeout.TotalSeconds:0.###} s", ex);
        }

        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
        {
            // One error object for the whole batch (batches refused, rate limited): mapped like any error.
            ParseResult(BatchMethod, root, _options.Errors, body);
            throw new FormatException($"a batch of {count} calls was answered with one object: {Truncate(body)}");
        }

        // Answers may come in any order: matched by id.
        var answered = new bool[count];
        foreach (var answer in root.EnumerateArray())
        {
            var index = answer.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out var value)
                ? value - baseId
                : -1;
            if (index < 0 || index >= count || answered[index])
            {
                throw new FormatException($"a batch answer has an id that was not asked for: {Truncate(answer.GetRawText())}");
            }

            try
            {
                results[first + index] = (ParseResult(calls[first + (int)index].Method, answer, _options.Errors, body), null);
            }
            catch (JsonRpcException error)
            {
                results[first + index] = (default, error);
            }

            answered[index] = true;
        }

        if (Array.IndexOf(answered, false) is var missing and >= 0)
        {
            throw new FormatException($"a batch of {count} calls has no answer to call {missing} ({calls[first + missing].Method})");
        }
    }

    /// <summary>
    /// <c>eth_sendRawTransaction</c> for each transaction, in batches, in their order: the node receives them together
    /// (an automining node then puts many in one block instead of one each). Each gives the node's hash or its error.
    /// </summary>
    public async Task<(Bytes32? Hash, JsonRpcException? Error)[]> SendRawTransactionsAsync(IReadOnlyList<byte[]> raws, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(raws);
        var answers = await RequestEachAsync(
            raws.Select(r => new RpcCall("eth_sendRawTransaction", [Hex.Encode(r)])).ToList(), cancellationToken).ConfigureAwait(false);
        return answers.Select(a => a.Error is null ? (Bytes32.Parse(a.Result.GetString()!), (JsonRpcException?)null) : ((Bytes32?)null, a.Error)).ToArray();
    }

    /// <summary><c>eth_getTransactionReceipt</c> for each hash, in batches; null where the node has none yet.</summary>
    public async Task<TransactionReceipt?[]> GetTransactionReceiptsAsync(IReadOnlyList<Bytes32> hashes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        var results = await RequestBatchAsync(
            hashes.Select(h => new RpcCall("eth_getTransactionReceipt", [h.ToString()])).ToList(), cancellationToken).ConfigureAwait(false);
        return results.Select(r => r.ValueKind == JsonValueKind.Object ? TransactionReceipt.FromJson(r) : null).ToArray();
    }

    /// <summary>The input (calldata) of each transaction (<c>eth_getTransactionByHash</c>, in batches); null where the node does not know it.</summary>
    public async Task<byte[]?[]> GetTransactionInputsAsync(IReadOnlyList<Bytes32> hashes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        var results = await RequestBatchAsync(
            hashes.Select(h => new RpcCall("eth_getTransactionByHash", [h.ToString()])).ToList(), cancellationToken).ConfigureAwait(false);
        return results.Select(InputOf).ToArray();
    }

    /// <summary><c>eth_call</c> for each call at <paramref name="block"/>, in batches; a revert throws <see cref="ExecutionRevertedException"/>.</summary>
    public async Task<byte[][]> CallAllAsync(IReadOnlyList<CallRequest> calls, string block = "latest", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var results = await RequestBatchAsync(calls.Select(c => new RpcCall("eth_call", [c.ToJson(), block])).ToList(), cancellationToken).ConfigureAwait(false);
        return results.Select(r => Hex.Decode(r.GetString()!)).ToArray();
    }

    private static byte[]? InputOf(JsonElement transaction) =>
        transaction.ValueKind == JsonValueKind.Object && transaction.TryGetProperty("input", out var input) && input.GetString() is { } hex
            ? Hex.Decode(hex)
            : null;
}
