using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;

namespace Aml.Orleans.Ethereum.Rpc;

/// <summary>
/// JSON-RPC over a WebSocket for <c>eth_subscribe</c> (<c>logs</c>, <c>newHeads</c>). One receive loop routes
/// responses to their requests and notifications to their subscription; a keep-alive <c>eth_chainId</c> runs
/// every <see cref="KeepAliveInterval"/> because MegaETH closes idle sockets after 30 s.
/// </summary>
public sealed class WebSocketRpcClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly ConcurrentDictionary<string, Channel<JsonElement>> _subscriptions = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _receiveLoop;
    private Task? _keepAlive;
    private long _nextId;

    private WebSocketRpcClient(TimeSpan keepAliveInterval) => KeepAliveInterval = keepAliveInterval;

    /// <summary>Interval of the keep-alive request.</summary>
    public TimeSpan KeepAliveInterval { get; }

    /// <summary>
    /// Opens the socket (anvil serves ws:// on its HTTP port). The keep-alive defaults to 20 s, inside MegaETH's
    /// 30 s idle limit.
    /// </summary>
    public static async Task<WebSocketRpcClient> ConnectAsync(Uri endpoint, CancellationToken cancellationToken = default, TimeSpan? keepAliveInterval = null)
    {
        var client = new WebSocketRpcClient(keepAliveInterval ?? TimeSpan.FromSeconds(20));
        await client._socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        client._receiveLoop = Task.Run(client.ReceiveLoopAsync, CancellationToken.None);
        client._keepAlive = Task.Run(client.KeepAliveLoopAsync, CancellationToken.None);
        return client;
    }

    /// <summary>Sends a request over the socket and awaits its result.</summary>
    public async Task<JsonElement> RequestAsync(string method, object?[] parameters, CancellationToken cancellationToken = default)
    {
        var id = Interlocked.Increment(ref _nextId);
        var completion = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters,
        });
        try
        {
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _socket.SendAsync(payload, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch
        {
            // Nothing was sent, so no answer will come to remove the entry.
            _pending.TryRemove(id, out _);
            throw;
        }

        using var registration = cancellationToken.Register(() => completion.TrySetCanceled(cancellationToken));
        var result = await completion.Task.ConfigureAwait(false);
        return result.TryGetProperty("error", out _)
            ? JsonRpcClient.ParseResponse(method, result.GetRawText(), null)
            : result.GetProperty("result").Clone();
    }

    /// <summary>
    /// Subscribes to logs matching the filter; returns once the node confirmed, then streams until cancelled.
    /// <see cref="LogEntry.Removed"/> marks logs undone by a reorg.
    /// </summary>
    public async Task<IAsyncEnumerable<LogEntry>> SubscribeLogsAsync(LogFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var stream = await StartSubscriptionAsync(["logs", filter.ToJson()], cancellationToken).ConfigureAwait(false);
        return Map(stream, LogEntry.FromJson, cancellationToken);
    }

    /// <summary>Subscribes to new block headers; returns once the node confirmed, then streams until cancelled.</summary>
    public async Task<IAsyncEnumerable<BlockHeader>> SubscribeNewHeadsAsync(CancellationToken cancellationToken = default)
    {
        var stream = await StartSubscriptionAsync(["newHeads"], cancellationToken).ConfigureAwait(false);
        return Map(stream, BlockHeader.FromJson, cancellationToken);
    }

    /// <summary>
    /// Starts a subscription and returns once the node confirmed it, so that events after this call are not missed;
    /// then streams its notifications.
    /// </summary>
    public async Task<IAsyncEnumerable<JsonElement>> StartSubscriptionAsync(object?[] parameters, CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<JsonElement>(new UnboundedChannelOptions { SingleReader = true });
        var id = (await RequestAsync("eth_subscribe", parameters, cancellationToken).ConfigureAwait(false)).GetString()!;
        _subscriptions[id] = channel;
        return ReadAsync(id, channel, cancellationToken);
    }

    private static async IAsyncEnumerable<T> Map<T>(
        IAsyncEnumerable<JsonElement> stream, Func<JsonElement, T> map, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in stream.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return map(item);
        }
    }

    private async IAsyncEnumerable<JsonElement> ReadAsync(string id, Channel<JsonElement> channel, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            _subscriptions.TryRemove(id, out _);
            if (_socket.State == WebSocketState.Open)
            {
                try
                {
                    await RequestAsync("eth_unsubscribe", [id], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is TimeoutException or WebSocketException or JsonRpcException)
                {
                    // The subscription dies with the socket anyway; unsubscribing is a courtesy.
                }
            }
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        Exception? failure = null;
        try
        {
            while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                Dispatch(message.ToArray());
                message.SetLength(0);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            failure = ex;
        }

        var closed = failure as WebSocketException ?? new WebSocketException("the WebSocket closed");
        foreach (var pending in _pending.Values)
        {
            pending.TrySetException(closed);
        }

        foreach (var channel in _subscriptions.Values)
        {
            channel.Writer.TryComplete(_stop.IsCancellationRequested ? null : closed);
        }
    }

    private void Dispatch(byte[] utf8)
    {
        using var document = JsonDocument.Parse(utf8);
        var root = document.RootElement;
        if (root.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.Number)
        {
            if (_pending.TryRemove(idElement.GetInt64(), out var completion))
            {
                completion.TrySetResult(root.Clone());
            }

            return;
        }

        if (root.TryGetProperty("method", out var method) && method.GetString() == "eth_subscription")
        {
            var parameters = root.GetProperty("params");
            var subscription = parameters.GetProperty("subscription").GetString()!;
            if (_subscriptions.TryGetValue(subscription, out var channel))
            {
                channel.Writer.TryWrite(parameters.GetProperty("result").Clone());
            }
        }
    }

    private async Task KeepAliveLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(KeepAliveInterval, _stop.Token).ConfigureAwait(false);
                await RequestAsync("eth_chainId", [], _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or JsonRpcException)
        {
            // Stopping or the socket is gone; the receive loop reports the failure to readers.
        }
    }

    /// <summary>Closes the socket and ends all subscriptions.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var closeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", closeTimeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
                // Closing is best effort; the socket is disposed below either way.
            }
        }

        foreach (var task in new[] { _receiveLoop, _keepAlive })
        {
            if (task is not null)
            {
                await task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        _socket.Dispose();
        _sendLock.Dispose();
        _stop.Dispose();
    }
}
