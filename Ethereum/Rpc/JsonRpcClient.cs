using System.Net;
using System.Numerics;
using System.Text.Json;
using Aml.Orleans.Ethereum.Abi;

namespace Aml.Orleans.Ethereum.Rpc;

/// <summary>Settings of <see cref="JsonRpcClient"/>.</summary>
public sealed record JsonRpcClientOptions
{
    /// <summary>Time allowed for one request (the caller's token can cancel sooner).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Custom errors to decode revert data with (the contract's ABI); built-ins are always decoded.</summary>
    public AbiContract? Errors { get; init; }

    /// <summary>
    /// Most calls in one JSON-RPC batch request: longer lists go out as several batches, one after another (public
    /// endpoints cap a batch, commonly at 100 to 1,000 calls).
    /// </summary>
    public int MaxBatchSize { get; init; } = 200;
}

/// <summary>
/// Ethereum JSON-RPC over HTTP: the calls the oracle needs, with JSON-RPC error objects mapped to typed
/// exceptions (<see cref="JsonRpcException.Create"/>), per-request timeouts and cancellation.
/// </summary>
public sealed partial class JsonRpcClient(HttpClient http, Uri endpoint, JsonRpcClientOptions? options = null)
{
    private readonly JsonRpcClientOptions _options = options ?? new JsonRpcClientOptions();
    private long _nextId;

    /// <summary>The endpoint URL.</summary>
    public Uri Endpoint { get; } = endpoint;

    /// <summary>Sends one request and returns its <c>result</c>, or throws the mapped error.</summary>
    public async Task<JsonElement> RequestAsync(string method, object?[] parameters, CancellationToken cancellationToken = default)
    {
        var id = Interlocked.Increment(ref _nextId);
        var request = new Dictionary<string, object?> { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            // A byte array gives a Content-Length; some endpoints refuse chunked request bodies.
            var body = await PostAsync(method, JsonSerializer.SerializeToUtf8Bytes(request), timeout.Token).ConfigureAwait(false);
            return ParseResponse(method, body, _options.Errors);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RpcTimeoutException($"{method}: no answer from {Endpoint} within {_options.RequestTimeout.TotalSeconds:0.###} s", ex);
        }
    }

    /// <summary>Posts one JSON-RPC body and returns the answer's body; HTTP-level refusals become typed exceptions.</summary>
    private async Task<string> PostAsync(string method, byte[] request, CancellationToken cancellationToken)
    {
        // A byte array gives a Content-Length; some endpoints refuse chunked request bodies.
        using var content = new ByteArrayContent(request);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(Endpoint, content, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            throw new RateLimitedException(method, 429, "HTTP 429 Too Many Requests");
        }

        if (response.StatusCode == HttpStatusCode.Forbidden)
        {
            throw new MethodNotSupportedException(method, 403, "HTTP 403 Forbidden");
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var trimmed = body.TrimStart();
        if (!response.IsSuccessStatusCode && !trimmed.StartsWith('{') && !trimmed.StartsWith('['))
        {
            throw new HttpRequestException($"{method}: HTTP {(int)response.StatusCode} from {Endpoint}: {Truncate(body)}", null, response.StatusCode);
        }

        return body;
    }

    internal static JsonElement ParseResponse(string method, string body, AbiContract? errors)
    {
        using var document = JsonDocument.Parse(body);
        return ParseResult(method, document.RootElement, errors, body);
    }

    /// <summary>The result of one response object, or its error mapped to a typed exception.</summary>
    private static JsonElement ParseResult(string method, JsonElement root, AbiContract? errors, string body)
    {
        if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            var code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : 0;
            var message = error.TryGetProperty("message", out var m) ? m.GetString() ?? string.Empty : string.Empty;
            var data = error.TryGetProperty("data", out var d) ? (d.ValueKind == JsonValueKind.String ? d.GetString() : d.GetRawText()) : null;
            throw JsonRpcException.Create(method, code, message, data, errors);
        }

        return root.TryGetProperty("result", out var result)
            ? result.Clone()
            : throw new FormatException($"{method}: response has neither result nor error: {Truncate(body)}");
    }

    /// <summary><c>eth_chainId</c>.</summary>
    public async Task<ulong> GetChainIdAsync(CancellationToken cancellationToken = default) =>
        Quantity.DecodeUInt64(await RequestAsync("eth_chainId", [], cancellationToken).ConfigureAwait(false), "chainId");

    /// <summary><c>eth_blockNumber</c>.</summary>
    public async Task<ulong> GetBlockNumberAsync(CancellationToken cancellationToken = default) =>
        Quantity.DecodeUInt64(await RequestAsync("eth_blockNumber", [], cancellationToken).ConfigureAwait(false), "blockNumber");

    /// <summary><c>eth_getTransactionCount</c>; <c>pending</c> counts transactions still in the pool.</summary>
    public async Task<ulong> GetTransactionCountAsync(Address account, string block = "pending", CancellationToken cancellationToken = default) =>
        Quantity.DecodeUInt64(
            await RequestAsync("eth_getTransactionCount", [account.ToLowerHex(), block], cancellationToken).ConfigureAwait(false), "count");

    /// <summary><c>eth_getBalance</c>.</summary>
    public async Task<BigInteger> GetBalanceAsync(Address account, string block = "latest", CancellationToken cancellationToken = default) =>
        Quantity.Decode((await RequestAsync("eth_getBalance", [account.ToLowerHex(), block], cancellationToken).ConfigureAwait(false)).GetString()!);

    /// <summary><c>eth_getBlockByNumber</c> without transactions.</summary>
    public async Task<BlockHeader> GetBlockAsync(string block = "latest", CancellationToken cancellationToken = default)
    {
        var result = await RequestAsync("eth_getBlockByNumber", [block, false], cancellationToken).ConfigureAwait(false);
        return result.ValueKind == JsonValueKind.Object ? BlockHeader.FromJson(result) : throw new InvalidOperationException($"block {block} not found");
    }

    /// <summary><c>eth_maxPriorityFeePerGas</c>.</summary>
    public async Task<BigInteger> GetMaxPriorityFeePerGasAsync(CancellationToken cancellationToken = default) =>
        Quantity.Decode((await RequestAsync("eth_maxPriorityFeePerGas", [], cancellationToken).ConfigureAwait(false)).GetString()!);

    /// <summary><c>eth_gasPrice</c>.</summary>
    public async Task<BigInteger> GetGasPriceAsync(CancellationToken cancellationToken = default) =>
        Quantity.Decode((await RequestAsync("eth_gasPrice", [], cancellationToken).ConfigureAwait(false)).GetString()!);

    /// <summary>Base fee of the latest block and the node's suggested tip.</summary>
    public async Task<FeeEstimate> GetFeesAsync(CancellationToken cancellationToken = default)
    {
        var block = await GetBlockAsync("latest", cancellationToken).ConfigureAwait(false);
        var tip = await GetMaxPriorityFeePerGasAsync(cancellationToken).ConfigureAwait(false);
        return new FeeEstimate(block.BaseFeePerGas, tip);
    }

    /// <summary><c>eth_estimateGas</c>; a revert surfaces as <see cref="ExecutionRevertedException"/>.</summary>
    public async Task<ulong> EstimateGasAsync(CallRequest call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        return Quantity.DecodeUInt64(await RequestAsync("eth_estimateGas", [call.ToJson()], cancellationToken).ConfigureAwait(false), "gas");
    }

    /// <summary><c>eth_call</c>; returns the return data, a revert surfaces as <see cref="ExecutionRevertedException"/>.</summary>
    public async Task<byte[]> CallAsync(CallRequest call, string block = "latest", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        return Hex.Decode((await RequestAsync("eth_call", [call.ToJson(), block], cancellationToken).ConfigureAwait(false)).GetString()!);
    }

    /// <summary><c>eth_getCode</c>.</summary>
    public async Task<byte[]> GetCodeAsync(Address account, string block = "latest", CancellationToken cancellationToken = default) =>
        Hex.Decode((await RequestAsync("eth_getCode", [account.ToLowerHex(), block], cancellationToken).ConfigureAwait(false)).GetString()!);

    /// <summary><c>eth_sendRawTransaction</c>; returns the node's transaction hash.</summary>
    public async Task<Bytes32> SendRawTransactionAsync(byte[] raw, CancellationToken cancellationToken = default) =>
        Bytes32.Parse((await RequestAsync("eth_sendRawTransaction", [Hex.Encode(raw)], cancellationToken).ConfigureAwait(false)).GetString()!);

    /// <summary>
    /// <c>eth_sendRawTransactionSync</c> (EIP-7966): returns the receipt once executed. Sent with the raw
    /// transaction only, since anvil rejects the optional timeout argument.
    /// </summary>
    public async Task<TransactionReceipt> SendRawTransactionSyncAsync(byte[] raw, CancellationToken cancellationToken = default) =>
        TransactionReceipt.FromJson(await RequestAsync("eth_sendRawTransactionSync", [Hex.Encode(raw)], cancellationToken).ConfigureAwait(false));

    /// <summary>MegaETH's <c>realtime_sendRawTransaction</c>: the receipt once executed in a mini-block.</summary>
    public async Task<TransactionReceipt> RealtimeSendRawTransactionAsync(byte[] raw, CancellationToken cancellationToken = default) =>
        TransactionReceipt.FromJson(await RequestAsync("realtime_sendRawTransaction", [Hex.Encode(raw)], cancellationToken).ConfigureAwait(false));

    /// <summary><c>eth_getTransactionReceipt</c>; null while unknown or pending.</summary>
    public async Task<TransactionReceipt?> GetTransactionReceiptAsync(Bytes32 hash, CancellationToken cancellationToken = default)
    {
        var result = await RequestAsync("eth_getTransactionReceipt", [hash.ToString()], cancellationToken).ConfigureAwait(false);
        return result.ValueKind == JsonValueKind.Object ? TransactionReceipt.FromJson(result) : null;
    }

    /// <summary>The input (calldata) of a transaction (<c>eth_getTransactionByHash</c>), or null when the node does not know it.</summary>
    public async Task<byte[]?> GetTransactionInputAsync(Bytes32 hash, CancellationToken cancellationToken = default) =>
        InputOf(await RequestAsync("eth_getTransactionByHash", [hash.ToString()], cancellationToken).ConfigureAwait(false));

    /// <summary><c>eth_getLogs</c>.</summary>
    public async Task<IReadOnlyList<LogEntry>> GetLogsAsync(LogFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var result = await RequestAsync("eth_getLogs", [filter.ToJson()], cancellationToken).ConfigureAwait(false);
        return result.EnumerateArray().Select(LogEntry.FromJson).ToArray();
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
