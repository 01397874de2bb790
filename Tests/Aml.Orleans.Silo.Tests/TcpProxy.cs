using System.Net;
using System.Net.Sockets;

namespace Aml.Orleans.Silo.Tests;

/// <summary>
/// A loopback TCP proxy the tests can cut: while blocked it resets every connection at once and drops open ones, as a
/// node that went away does, and counts the connections it refused (what the tests wait on instead of a sleep).
/// Between silos and anvil it makes "the chain is unreachable" without losing the chain.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly int _upstreamPort;
    private readonly List<TcpClient> _open = [];
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _disposed = new();
    private CancellationTokenSource _cut = new();
    private volatile bool _blocked;
    private long _refused;

    public TcpProxy(int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptAsync(_disposed.Token);
    }

    /// <summary>The port clients connect to.</summary>
    public int Port { get; }

    /// <summary>Connections reset because the link was blocked, since the proxy started.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Refuses new connections and drops the open ones.</summary>
    public void Block()
    {
        _blocked = true;
        _cut.Cancel();
        lock (_open)
        {
            foreach (var client in _open)
            {
                client.Dispose();
            }

            _open.Clear();
        }
    }

    /// <summary>Accepts connections again.</summary>
    public void Unblock()
    {
        _cut = new CancellationTokenSource();
        _blocked = false;
    }

    public ValueTask DisposeAsync()
    {
        Block();
        _disposed.Cancel();
        _listener.Stop();
        return ValueTask.CompletedTask;
    }

    private async Task AcceptAsync(CancellationToken disposed)
    {
        while (!disposed.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(disposed);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_blocked)
            {
                client.Client.LingerState = new LingerOption(true, 0); // closing sends a reset: the connection is refused
                client.Dispose();
                Interlocked.Increment(ref _refused);
                continue;
            }

            _ = PumpAsync(client, _cut.Token);
        }
    }
    private async Task PumpAsync(TcpClient client, CancellationToken cut)
    {
        var upstream = new TcpClient();
        lock (_open)
        {
            _open.Add(client);
            _open.Add(upstream);
        }

        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort, cut);
            var down = client.GetStream();
            var up = upstream.GetStream();
            await Task.WhenAny(down.CopyToAsync(up, cut), up.CopyToAsync(down, cut));
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // the link was cut or closed: both sides go
        }
        finally
        {
            client.Dispose();
            upstream.Dispose();
        }
    }
}
